"""Evidence files (佐证材料): one file backing one indicator or item of one assessment.

>>> ev = add_evidence(assessment=a, node_id="zj-sys-1", uploaded_file=request.FILES["file"], by=secretary)
>>> ev.content_type, ev.sha256[:8], ev.original_name
('application/pdf', '3f2a9c1e', '三会一课记录.pdf')
>>> download = open_evidence(evidence=ev, by=reviewer)        # NotAllowed for anyone who may not read the branch
>>> download.filename, b"".join(download.chunks())[:5]
('三会一课记录.pdf', b'%PDF-')

What is accepted is decided by the content, never by the name or the browser's content type:
the magic bytes of PDF, PNG and JPEG; a ZIP whose ``[Content_Types].xml`` declares a Word document
or an Excel workbook (DOCX, XLSX; macro-enabled ones are not on the list); plain text (UTF-8, or
GB18030 as Chinese offices save it) without control characters.

A ZIP-based file (any Office file) is first judged from its zip directory, without expanding it
(:func:`check_archive`): refused when it would expand absurdly (a member over 1 MB more than
100-fold, or more than 200 MB in all: a "zip bomb" for whoever opens it), when it carries macros or
ActiveX controls (``vbaProject.bin``, ``activeX/*.bin``, a macro-enabled content type), or when it
pulls content from elsewhere as it opens (``xl/externalLinks/``, or a relationship with
``TargetMode="External"`` other than a plain hyperlink: linked workbooks, remote templates, linked
objects and images). Plain hyperlinks stay: they open only when a reader clicks them. The size limit is the setting
``CHUANGXING_EVIDENCE_MAX_BYTES`` (default 20 MB); the name is reduced to a plain file name (no
folders, no control characters, the extension of the detected type). The file is stored through
Django's storage API under its SHA-256 (``models.evidence_path``): the same content is stored once.
Nothing returned here carries a storage or filesystem path.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile

from chuangxing.assessments import permissions
from chuangxing.assessments.models import Assessment, Evidence, State, evidence_path
from chuangxing.assessments.services import _check_editable, _require_role, audit, rubric_of, service
from chuangxing.assessments.workflow import EDITABLE, IllegalTransition, WorkflowError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
CHUNK = 64 * 1024
CONTENT_TYPES_MAX = 1024 * 1024      # a [Content_Types].xml larger than this is not an Office file
MB = 1024 * 1024
ZIP_MAX_EXPANDED = 200 * MB          # all members together, as the zip directory declares them
ZIP_MAX_RATIO = 100                  # one member over ZIP_RATIO_FLOOR, uncompressed / compressed
ZIP_RATIO_FLOOR = MB
ZIP_MAX_MEMBERS = 2000
RELS_MAX = MB                        # a relationships part larger than this is not an Office file

# kind → (MIME type, extension, label)
ALLOWED = {
    "pdf": ("application/pdf", ".pdf", "PDF"),
    "png": ("image/png", ".png", "PNG 图片"),
    "jpeg": ("image/jpeg", ".jpg", "JPEG 图片"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "Word 文档"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "Excel 工作簿"),
    "text": ("text/plain; charset=utf-8", ".txt", "纯文本"),
}
_EXTENSIONS = {".pdf": "pdf", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".docx": "docx", ".xlsx": "xlsx",
               ".txt": "text", ".csv": "text", ".md": "text"}
_OFFICE_MAIN = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/document.xml"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/workbook.xml"),
}


class EvidenceRefused(WorkflowError):
    """A file that is not accepted; ``code`` says why: ``evidence_type``, ``evidence_too_large``,
    ``evidence_empty``, ``evidence_zip_bomb``, ``evidence_macros``, ``evidence_external`` or ``unknown_node``."""

    def __init__(self, code: str, message_zh: str, message_en: str = ""):
        self.code = code
        super().__init__(message_zh, message_en)


# -- adding --------------------------------------------------------------------------------------
def max_bytes() -> int:
    return int(getattr(settings, "CHUANGXING_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


@service
def add_evidence(*, assessment: Assessment, node_id: str, uploaded_file: IO[bytes] | Any, by) -> Evidence:
    """Attach a file to an indicator or item. The secretary while the self-assessment is editable
    (draft, returned), the reviewer under review, the inspector while sampled."""
    stage = _stage_for(assessment, by)
    node = _check_node(assessment, node_id)
    data = _read_limited(uploaded_file, max_bytes())
    if data.startswith(b"PK\x03\x04"):
        check_archive(data)
    kind = sniff(data)
    if kind is None:
        allowed = "、".join(label for _, _, label in ALLOWED.values())
        raise EvidenceRefused("evidence_type", f"文件类型不在允许范围内（仅限 {allowed}），请转换后再上传",
                              "file type not allowed")
    mime, extension, _ = ALLOWED[kind]
    evidence = Evidence(assessment=assessment, node_id=node.id, content_type=mime, size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=by,
                        original_name=clean_name(getattr(uploaded_file, "name", "") or "", extension))
    path = evidence_path(evidence, evidence.original_name)
    if evidence.file.storage.exists(path):
        evidence.file.name = path                    # the same content, stored once
    else:
        evidence.file.save(evidence.original_name, ContentFile(data), save=False)
    evidence.save()
    audit(by=by, action="add_evidence", assessment=assessment, target=f"evidence:{evidence.pk}@{node.id}",
          new={"name": evidence.original_name, "type": kind, "size": evidence.size, "sha256": evidence.sha256,
               "stage": str(stage)})
    return evidence


def _stage_for(assessment: Assessment, by) -> str:
    """The stage whose editor ``by`` is in the assessment's current state (which decides who may attach)."""
    permissions.ensure_visible(by, assessment)
    held = permissions.roles_on(by, assessment.branch)
    for stage, (states, roles) in EDITABLE.items():
        if assessment.state in states and held & {str(r) for r in roles}:
            _require_role(by, roles, assessment)
            _check_editable(assessment, stage, states)
            return stage
    raise IllegalTransition(f"当前状态为“{State(assessment.state).label}”，您不能上传佐证材料"
                            "（自评阶段由支部书记上传，提交后由审核人补充）",
                            f"no evidence can be added by this user in {assessment.state}")


def _check_node(assessment: Assessment, node_id: str):
    rubric = rubric_of(assessment)
    node = rubric.node(str(node_id))
    if node is None or any(c.id == node.id for c in rubric.categories):
        raise EvidenceRefused("unknown_node", f"“{node_id}”不是本标准的指标或分项，不能上传佐证材料",
                              f"{node_id} is not an indicator or item")
    return node


def _read_limited(uploaded_file: Any, limit: int) -> bytes:
    declared = getattr(uploaded_file, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise _too_large(limit)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    out = io.BytesIO()
    while True:
        chunk = uploaded_file.read(CHUNK)
        if not chunk:
            break
        if isinstance(chunk, str):
            raise EvidenceRefused("evidence_type", "请以二进制方式上传文件", "file opened in text mode")
        out.write(chunk)
        if out.tell() > limit:
            raise _too_large(limit)
    if out.tell() == 0:
        raise EvidenceRefused("evidence_empty", "文件是空的", "empty file")
    return out.getvalue()


def _too_large(limit: int) -> EvidenceRefused:
    if limit >= 1024 * 1024:
        shown = f"{limit / 1024 / 1024:.1f}".removesuffix(".0") + " MB "
    elif limit >= 1024:
        shown = f"{limit / 1024:.1f}".removesuffix(".0") + " KB "
    else:
        shown = f"{limit} 字节"
    return EvidenceRefused("evidence_too_large", f"文件超过 {shown}的上限", f"file over {limit} bytes")


# -- what a file is --------------------------------------------------------------------------------
def sniff(data: bytes) -> str | None:
    """The allowed kind ``data`` is (a key of :data:`ALLOWED`), judged by content only; None: not allowed."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    return "text" if _is_text(data) else None


def _office_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > CONTENT_TYPES_MAX:
                return None
            with archive.open(info) as handle:
                types = handle.read(CONTENT_TYPES_MAX + 1).decode("utf-8", errors="replace")
            names = set(archive.namelist())
    except (zipfile.BadZipFile, KeyError, NotImplementedError, RuntimeError, EOFError, ValueError, OSError):
        return None
    for kind, (main_type, part) in _OFFICE_MAIN.items():
        if f'ContentType="{main_type}"' in types and part in names:
            return kind
    return None


# -- what a zip carries ----------------------------------------------------------------------------
_MACRO = re.compile(r"(^|/)(vbaProject\.bin|vbaProjectSignature\.bin|vbaData\.xml|activeX/[^/]*\.bin)$", re.I)
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.S)
_EXTERNAL = re.compile(rb"""TargetMode\s*=\s*["']External["']""")
_HYPERLINK = re.compile(rb"""Type\s*=\s*["'][^"']*/hyperlink["']""")


def check_archive(data: bytes) -> None:
    """Refuse a zip that would expand absurdly, carries macros or loads content from outside.

    Judged from the zip directory (declared sizes: zipfile refuses a member that inflates past what
    it declares); only the small relationship parts are read. A file that is not a readable zip is
    left to :func:`sniff`.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_expansion(infos)
            _check_macros(archive, infos)
            _check_external(archive, infos)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, ValueError, OSError):
        return


def _check_expansion(infos: list[zipfile.ZipInfo]) -> None:
    expanded = sum(info.file_size for info in infos)
    bomb = next((i for i in infos if i.file_size > ZIP_RATIO_FLOOR
                 and i.file_size > ZIP_MAX_RATIO * max(i.compress_size, 1)), None)
    if len(infos) > ZIP_MAX_MEMBERS or expanded > ZIP_MAX_EXPANDED or bomb is not None:
        detail = (f"其中“{bomb.filename[:60]}”压缩了 {bomb.file_size // max(bomb.compress_size, 1):,} 倍"
                  if bomb is not None else f"共 {len(infos):,} 个部件，解压后 {expanded / MB:,.0f} MB")
        raise EvidenceRefused("evidence_zip_bomb", f"文件解压后异常膨胀（{detail}），不是正常的文档，拒绝上传",
                              f"zip expands absurdly: {len(infos)} members, {expanded} bytes")


def _check_macros(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    found = next((i.filename for i in infos if _MACRO.search(i.filename)), None)
    if found is None and "[Content_Types].xml" in archive.namelist():
        info = archive.getinfo("[Content_Types].xml")
        if info.file_size <= CONTENT_TYPES_MAX:
            types = archive.read(info)
            found = "[Content_Types].xml" if b"macroEnabled" in types or b"vbaProject" in types else None
    if found is not None:
        raise EvidenceRefused("evidence_macros", "文件含有宏（VBA）或 ActiveX 控件，打开时可能运行代码，拒绝上传："
                              "请另存为不含宏的 .docx / .xlsx（或导出 PDF）后再上传",
                              f"macros in {found}")


def _check_external(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    for info in infos:
        if info.filename.lower().startswith("xl/externallinks/"):
            raise _external(info.filename)
        if not info.filename.lower().endswith(".rels"):
            continue
        if info.file_size > RELS_MAX:
            raise _external(info.filename)
        for relationship in _RELATIONSHIP.findall(archive.read(info)):
            if _EXTERNAL.search(relationship) and not _HYPERLINK.search(relationship):
                raise _external(info.filename)


def _external(part: str) -> EvidenceRefused:
    return EvidenceRefused("evidence_external",
                           "文件含有外部链接（链接到其他工作簿、远程模板或外部对象，打开时会从别处读取内容），拒绝上传："
                           "请断开外部链接（Excel：数据 → 编辑链接 → 断开链接）或导出 PDF 后再上传",
                           f"external link in {part}")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _is_text(data: bytes) -> bool:
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            ok = all(not _CONTROL.search(decoder.decode(data[i:i + CHUNK])) for i in range(0, len(data), CHUNK))
            if ok and not _CONTROL.search(decoder.decode(b"", final=True)):
                return True
        except UnicodeDecodeError:
            continue
        else:
            return False
    return False


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def clean_name(name: str, extension: str, *, limit: int = 120) -> str:
    """A plain file name to show and to download as: the last path part of ``name``, without control
    or reserved characters or leading dots, ending in ``extension`` (the detected type's)."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem = name
    elif _EXTENSIONS.get("." + ext.lower()) != _EXTENSIONS.get(extension):
        stem = name                     # "x.exe" stays visible as "x.exe.pdf"; a right one is replaced
    stem = stem.strip().rstrip(".") or "佐证材料"
    return stem[: limit - len(extension)] + extension


# -- reading ---------------------------------------------------------------------------------------
@dataclass
class EvidenceDownload:
    """A file to send: its name, type and size, and its bytes in chunks. No path inside."""

    filename: str
    content_type: str
    size: int
    sha256: str
    _evidence: Evidence

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        with self._evidence.file.open("rb") as handle:
            while chunk := handle.read(size):
                yield chunk

    def read(self) -> bytes:
        return b"".join(self.chunks())


def open_evidence(*, evidence: Evidence, by) -> EvidenceDownload:
    """The file, for people who may read the branch (secretary, reviewer and admin above it, the
    inspector of a sampled branch); NotAllowed (code ``forbidden``, audited) for anyone else."""
    permissions.ensure_visible(by, evidence.assessment)
    return EvidenceDownload(evidence.original_name, evidence.content_type, evidence.size, evidence.sha256, evidence)


def evidence_info(evidence: Evidence) -> dict:
    """What a list of evidence shows (no path, no URL: files are served by :func:`open_evidence`)."""
    return {"id": evidence.pk, "node": evidence.node_id, "name": evidence.original_name,
            "content_type": evidence.content_type, "size": evidence.size, "sha256": evidence.sha256,
            "uploaded_by": evidence.uploaded_by_id, "uploaded_at": evidence.uploaded_at}


def evidence_by_node(assessment: Assessment) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for evidence in assessment.evidence.order_by("uploaded_at", "pk"):
        out.setdefault(evidence.node_id, []).append(evidence_info(evidence))
    return out
