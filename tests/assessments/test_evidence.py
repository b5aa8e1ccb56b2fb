"""Evidence files: judged by content, limited in size, named safely, hashed, stored once, served only
to people who may read the branch."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chuangxing.assessments.evidence import (
    EvidenceRefused,
    add_evidence,
    clean_name,
    evidence_info,
    open_evidence,
    sniff,
)
from chuangxing.assessments.models import Assessment, AuditEntry, Evidence, State
from chuangxing.assessments.workflow import IllegalTransition, NotAllowed

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20) + b"\xff\xd9"
TEXT = "三会一课记录：1月10日主题党日，应到12人，实到11人。\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(60)


def office(kind: str, *, macro: bool = False) -> bytes:
    main = {"docx": ("wordprocessingml.document.main+xml", "/word/document.xml"),
            "xlsx": ("spreadsheetml.sheet.main+xml", "/xl/workbook.xml")}[kind]
    content_type = ("application/vnd.ms-word.document.macroEnabled.main+xml" if macro
                    else f"application/vnd.openxmlformats-officedocument.{main[0]}")
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             f'content-types"><Override PartName="{main[1]}" ContentType="{content_type}"/></Types>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr(main[1].lstrip("/"), "<document/>")
    return buffer.getvalue()


def upload(data: bytes, name: str = "材料.pdf", content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(("data", "kind"), [
    (PDF, "pdf"), (PNG, "png"), (JPEG, "jpeg"), (office("docx"), "docx"), (office("xlsx"), "xlsx"), (TEXT, "text"),
    ("党费收缴明细，GB18030 保存".encode("gb18030"), "text"),
    (EXE, None), (office("docx", macro=True), None), (b"PK\x03\x04not really a zip", None),
    (b"\x00\x01\x02binary", None), (b"\x7fELF\x02\x01\x01", None),
])
def test_the_type_is_judged_by_content(data, kind):
    assert sniff(data) == kind


def test_a_plain_zip_is_not_an_office_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert sniff(buffer.getvalue()) is None


@pytest.mark.parametrize(("name", "extension", "expected"), [
    ("../../etc/passwd", ".txt", "passwd.txt"),
    ("C:\\Users\\书记\\三会一课记录.pdf", ".pdf", "三会一课记录.pdf"),
    ("记录.PDF", ".pdf", "记录.pdf"),
    ("照片.jpeg", ".jpg", "照片.jpg"),
    ("恶意.exe", ".pdf", "恶意.exe.pdf"),
    ("..", ".pdf", "佐证材料.pdf"),
    ("a\x00b<c>:d|e?.txt", ".txt", "abcde.txt"),
    ("   ", ".png", "佐证材料.png"),
    ("长" * 300 + ".pdf", ".pdf", "长" * 116 + ".pdf"),
])
def test_names_are_cleaned(name, extension, expected):
    assert clean_name(name, extension) == expected


def test_a_secretary_attaches_a_pdf_to_an_indicator(world, media):
    a = world.assessment(world.a1)
    ev = add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(PDF, "../三会一课.pdf", "text/html"),
                      by=world.secretary_a1)
    assert (ev.content_type, ev.size, ev.original_name) == ("application/pdf", len(PDF), "三会一课.pdf")
    assert ev.sha256 == hashlib.sha256(PDF).hexdigest()
    assert ev.file.name == f"evidence/{world.cycle.pk}/{a.pk}/{ev.sha256[:2]}/{ev.sha256}"
    assert (media / ev.file.name).read_bytes() == PDF
    entry = AuditEntry.objects.get(action="add_evidence", assessment=a)
    assert entry.new["sha256"] == ev.sha256 and entry.actor == world.secretary_a1
    info = json.dumps(evidence_info(ev), default=str)
    assert str(media) not in info and "evidence/" not in info


def test_the_same_content_is_stored_once(world, media):
    a = world.assessment(world.a1)
    one = add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(PDF), by=world.secretary_a1)
    two = add_evidence(assessment=a, node_id="zj-sys-3", uploaded_file=upload(PDF, "again.pdf"), by=world.secretary_a1)
    assert one.file.name == two.file.name
    assert len(list((media / "evidence").rglob("*"))) == 4      # cycle, assessment, prefix folders and one file


def test_office_and_text_files_get_their_type_and_extension(world, media):
    a = world.assessment(world.a1)
    for data, name, mime, shown in [
        (office("docx"), "述职报告", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "述职报告.docx"),
        (office("xlsx"), "党费.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "党费.xlsx"),
        (TEXT, "记录.txt", "text/plain; charset=utf-8", "记录.txt"),
    ]:
        ev = add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(data, name), by=world.secretary_a1)
        assert (ev.content_type, ev.original_name) == (mime, shown)


@pytest.mark.parametrize(("data", "node", "code"), [
    (EXE, "zj-sys-1", "evidence_type"),
    (office("docx", macro=True), "zj-sys-1", "evidence_macros"),
    (b"", "zj-sys-1", "evidence_empty"),
    (PDF, "zj-sys", "unknown_node"),            # a category, not an indicator
    (PDF, "zj-nothing", "unknown_node"),
    (PDF, "zj-sys-1-a", "unknown_node"),        # a rule, not a node
])
def test_refused_files_leave_nothing_behind(world, media, data, node, code):
    a = world.assessment(world.a1)
    with pytest.raises(EvidenceRefused) as refused:
        add_evidence(assessment=a, node_id=node, uploaded_file=upload(data), by=world.secretary_a1)
    assert refused.value.code == code and refused.value.message_zh
    assert not Evidence.objects.exists() and not media.exists()


def with_parts(data: bytes, parts: dict[str, bytes | str], compression=zipfile.ZIP_DEFLATED) -> bytes:
    """``data`` (a zip) with ``parts`` added."""
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", compression=compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def workbook() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "党费"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


EXTERNAL_REL = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/{kind}" Target="{target}" TargetMode="External"/></Relationships>')
HOSTILE = {
    "vba_in_xlsx": (with_parts(workbook(), {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}), "evidence_macros", "宏"),
    "vba_in_docx": (with_parts(office("docx"), {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}), "evidence_macros", "宏"),
    "activex": (with_parts(office("docx"), {"word/activeX/activeX1.bin": b"\x00"}), "evidence_macros", "ActiveX"),
    "external_workbook": (with_parts(workbook(), {
        "xl/externalLinks/externalLink1.xml": "<externalLink/>",
        "xl/externalLinks/_rels/externalLink1.xml.rels": EXTERNAL_REL.format(
            kind="externalLinkPath", target="file:///C:/机密/工资.xlsx")}), "evidence_external", "外部链接"),
    "remote_template": (with_parts(office("docx"), {"word/_rels/settings.xml.rels": EXTERNAL_REL.format(
        kind="attachedTemplate", target="http://evil.example/t.dotm")}), "evidence_external", "外部链接"),
    "zip_bomb": (with_parts(office("docx"), {"word/media/image1.bmp": bytes(3 * 1024 * 1024)}),
                 "evidence_zip_bomb", "异常膨胀"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_office_files_with_macros_links_or_absurd_expansion_are_refused(world, media, name):
    data, code, said = HOSTILE[name]
    a = world.assessment(world.a1)

    with pytest.raises(EvidenceRefused) as refused:
        add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(data, "材料.xlsx"), by=world.secretary_a1)

    assert refused.value.code == code and said in refused.value.message_zh
    assert not Evidence.objects.exists() and not media.exists()


def test_hyperlinks_and_stored_images_are_not_external_content(world, media):
    document = with_parts(office("docx"), {
        "word/_rels/document.xml.rels": EXTERNAL_REL.format(kind="hyperlink", target="http://www.12371.cn/"),
        "word/media/image1.png": PNG + bytes(2 * 1024 * 1024)}, compression=zipfile.ZIP_STORED)

    ev = add_evidence(assessment=world.assessment(world.a1), node_id="zj-sys-1", uploaded_file=upload(document, "记录.docx"),
                      by=world.secretary_a1)

    assert ev.original_name == "记录.docx"


def test_the_zip_is_judged_from_its_directory_without_expanding(monkeypatch):
    from chuangxing.assessments import evidence

    bomb = with_parts(office("docx"), {"word/media/image1.bmp": bytes(3 * 1024 * 1024)})
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("a member was expanded"))

    with pytest.raises(EvidenceRefused) as refused:
        evidence.check_archive(bomb)

    assert "异常膨胀" in refused.value.message_zh and "word/media/image1.bmp" in refused.value.message_zh


def test_the_default_limit_reads_in_megabytes():
    from chuangxing.assessments.evidence import DEFAULT_MAX_BYTES, _too_large

    assert _too_large(DEFAULT_MAX_BYTES).message_zh == "文件超过 20 MB 的上限"
    assert _too_large(1536).message_zh == "文件超过 1.5 KB 的上限"


def test_the_size_limit_is_a_setting(world, media, settings):
    settings.CHUANGXING_EVIDENCE_MAX_BYTES = 64
    a = world.assessment(world.a1)
    with pytest.raises(EvidenceRefused) as refused:
        add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(PDF + bytes(64)), by=world.secretary_a1)
    assert refused.value.code == "evidence_too_large"
    assert refused.value.message_zh == "文件超过 64 字节的上限"

    class Undeclared(io.BytesIO):       # a stream that does not say its size is measured while read
        name = "big.pdf"

    with pytest.raises(EvidenceRefused):
        add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=Undeclared(PDF + bytes(64)), by=world.secretary_a1)
    settings.CHUANGXING_EVIDENCE_MAX_BYTES = len(PDF)
    assert add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(PDF), by=world.secretary_a1).size == len(PDF)


def test_who_may_attach_when(world, media):
    a = world.assessment(world.b1)
    with pytest.raises(NotAllowed):                                   # another branch's secretary
        add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(PDF), by=world.secretary_a1)
    assert AuditEntry.objects.filter(actor=world.secretary_a1, assessment=a, denied=True).exists()
    with pytest.raises(IllegalTransition):                            # the reviewer before review
        add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(PDF), by=world.reviewer_b)
    a = world.under_review(world.b1)
    with pytest.raises(IllegalTransition):                            # the secretary after submission
        add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(PDF), by=world.secretary_b1)
    ev = add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(PNG, "现场.png"), by=world.reviewer_b)
    assert ev.uploaded_by == world.reviewer_b and ev.content_type == "image/png"
    assert not Evidence.objects.filter(uploaded_by=world.secretary_a1).exists()


def test_files_are_served_only_to_people_who_may_read_the_branch(world, media):
    a = world.assessment(world.a1)
    ev = add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=upload(PDF, "记录.pdf"), by=world.secretary_a1)
    for user in (world.secretary_a1, world.reviewer_a, world.admin):
        download = open_evidence(evidence=ev, by=user)
        assert (download.read(), download.filename, download.content_type) == (PDF, "记录.pdf", "application/pdf")
        assert str(media) not in repr(download) and not hasattr(download, "path")
    for user in (world.secretary_a2, world.secretary_b1, world.reviewer_b, world.inspector):
        with pytest.raises(NotAllowed) as refused:
            open_evidence(evidence=ev, by=user)
        assert refused.value.code == "forbidden"
        assert str(media) not in refused.value.message_zh
        assert AuditEntry.objects.filter(actor=user, assessment=a, denied=True).exists()
    Assessment.objects.filter(pk=a.pk).update(sampled=True, state=State.SAMPLED)
    ev.refresh_from_db()
    assert open_evidence(evidence=ev, by=world.inspector).read() == PDF
