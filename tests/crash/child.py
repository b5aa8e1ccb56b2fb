"""A second process writing to the test database: it stops inside its transaction and waits to be told to go on
(or to be killed). Run by ``tests/crash/test_crash.py`` as ``python -m tests.crash.child ACTION ARGS_JSON`` with
``DATABASE_URL`` naming the test database.

It prints ``PAUSED`` once its writes are made and not yet committed, then reads one line: ``go`` finishes
the transaction. It prints ``RESULT <json>`` at the end.
"""

from __future__ import annotations

import json
import os
import sys


def pause(*args, **kwargs) -> None:
    print("PAUSED", flush=True)
    if sys.stdin.readline().strip() != "go":
        os._exit(3)


def save(args: dict) -> dict:
    from django.contrib.auth import get_user_model

    from chuangxing.assessments import services
    from chuangxing.assessments.models import Assessment
    from chuangxing.assessments.workflow import EditConflict

    store = services._store_total
    if args.get("pause"):
        def paused(*a, **k):
            pause()
            return store(*a, **k)
        services._store_total = paused
    try:
        services.save_findings(assessment=Assessment.objects.get(pk=args["assessment"]), stage=args["stage"],
                               values=args["values"], version=args["version"],
                               by=get_user_model().objects.get(pk=args["user"]))
    except EditConflict as exc:
        return {"refused": exc.code}
    return {"saved": True}


def import_(args: dict) -> dict:
    from chuangxing.records.imports import service

    if args.get("pause"):
        announce = service.announce

        def paused(*a, **k):
            pause()
            return announce(*a, **k)
        service.announce = paused
    result = service.import_file(args["file"], kind=args["kind"])
    return {"ok": result.ok}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
    import django

    django.setup()
    action, args = sys.argv[1], json.loads(sys.argv[2])
    result = {"save": save, "import": import_}[action](args)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
