"""The archive package for transfer (移交): what ``export_archive`` writes besides the BagIt bag.

In the bag's payload (``data/``): 说明文件.TXT (what the package is and how to verify it),
文件目录.XML (DA/T 22 columns plus 电子档案名称), per record ``metadata/<档号>.xml`` with the core
公文 metadata of GB/T 33480 and its 办理信息 (every 签收, 登记, 初审, 传阅, 催办, 阅知确认, 退回,
办结 and 归档 event of the audit log with actor, time and the event's chain hash), and the latest
signed audit checkpoint (``audit-checkpoint/``). Beside the manifests: ``manifest-sha256.txt.p7s``,
a detached CMS signature (DER) of ``manifest-sha256.txt`` made with the seal, and ``root.pem``, the
trust roots (a copy for convenience: a verifier takes the roots from a source they trust).
docs/archive-package.md shows the standard commands that verify it.
"""

import shutil
import xml.etree.ElementTree as ET  # writing only, never parsing
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from asn1crypto import pem

from circulation.archive.catalogue import catalogue_rows
from circulation.archive.checkpoint import Checkpoint, sign_detached
from circulation.archive.models import ArchivedRecord
from circulation.archive.seal import Seal, trust_roots
from circulation.records.models import AuditAction, AuditEvent, Notice, Secrecy, Urgency

SHANGHAI = ZoneInfo("Asia/Shanghai")
README_NAME = "说明文件.TXT"
DIRECTORY_NAME = "文件目录.XML"
MANIFEST = "manifest-sha256.txt"
MANIFEST_SIGNATURE = "manifest-sha256.txt.p7s"
ROOTS = "root.pem"
CHECKPOINT_FOLDER = "audit-checkpoint"

# 办理信息: the audit actions that are a step of handling the document, and their names.
HANDLING_STEPS: dict[str, str] = {
    AuditAction.NOTICE_RECEIVED: "签收",
    AuditAction.NOTICE_REGISTERED: "登记",
    AuditAction.NOTICE_RETURNED: "初审（退回来文单位）",
    AuditAction.NOTICE_FORWARDED: "传阅",
    AuditAction.NOTICE_REMINDED: "催办",
    AuditAction.NOTICE_ESCALATED: "催办（升级）",
    AuditAction.ACK_READ: "阅读",
    AuditAction.ACK_CONFIRMED: "阅知确认",
    AuditAction.ACK_RETURNED: "退回",
    AuditAction.NOTICE_WITHDRAWN: "撤回",
    AuditAction.NOTICE_COMPLETED: "办结",
    AuditAction.NOTICE_ARCHIVED: "归档",
}
DIRECTORY_COLUMNS = [
    "顺序号",
    "档号",
    "文号",
    "责任者",
    "题名",
    "日期",
    "密级",
    "页数",
    "电子档案名称",
    "备注",
]


def record_file_name(record: ArchivedRecord) -> str:
    return f"records/{record.archival_code}.pdf"


def sheet_file_name(record: ArchivedRecord) -> str:
    """A 批办 notice's sealed 处理笺, beside its record."""
    return f"records/{record.archival_code}.handling-sheet.pdf"


def _local(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else ""


def _label(choices: type[Secrecy] | type[Urgency], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _write_xml(root: ET.Element, path: Path) -> None:
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)


def write_directory(records: Sequence[ArchivedRecord], path: Path, year: int) -> None:
    """文件目录.XML: one 条目 per record, the catalogue's columns plus 电子档案名称."""
    root = ET.Element("文件目录", {"年度": str(year), "条目数": str(len(records))})
    for record, row in zip(records, catalogue_rows(records), strict=True):
        entry = ET.SubElement(root, "条目")
        values = [*row[:8], record_file_name(record), row[8]]
        for column, value in zip(DIRECTORY_COLUMNS, values, strict=True):
            ET.SubElement(entry, column).text = value
    _write_xml(root, path)


def handling_events(notice_id: int) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(notice_id=notice_id, action__in=HANDLING_STEPS)
        .select_related("actor")
        .order_by("seq")
    )


def _actor_name(event: AuditEvent) -> str:
    actor = event.actor
    name = (getattr(actor, "display_name", "") or actor.get_full_name()) if actor else ""
    return str(name or event.actor_username or "系统")


def write_record_metadata(
    record: ArchivedRecord, notice: Notice, events: Iterable[AuditEvent], path: Path
) -> None:
    """``metadata/<档号>.xml``: 公文元数据 (GB/T 33480), 档案管理 and 办理信息."""
    root = ET.Element("电子公文", {"档号": record.archival_code, "元数据标准": "GB/T 33480-2016"})
    official = ET.SubElement(root, "公文元数据")
    fields = [
        ("发文字号", notice.doc_number),
        ("标题", notice.title),
        ("发文机关署名", notice.issuer),
        ("主送机关", notice.addressees),
        ("成文日期", notice.issued_on.isoformat() if notice.issued_on else ""),
        ("签发人", ""),  # not on a received notice's record here: left empty, never guessed
        ("密级", _label(Secrecy, notice.secrecy)),
        ("紧急程度", _label(Urgency, notice.urgency)),
        ("文种", notice.doc_type),
        ("页数", str(record.page_count)),
    ]
    for name, value in fields:
        ET.SubElement(official, name).text = value
    attachments = ET.SubElement(official, "附件", {"数量": str(len(record.attachments))})
    for entry in record.attachments:
        ET.SubElement(
            attachments, "附件名称", {"SHA-256": str(entry.get("sha256", ""))}
        ).text = str(entry.get("name", ""))
    management = ET.SubElement(root, "档案管理")
    for name, value in [
        ("档号", record.archival_code),
        ("全宗号", record.fonds_code),
        ("年度", str(record.year)),
        ("保管期限", str(record.get_retention_display())),
        ("机构问题代码", record.unit_code),
        ("件号", str(record.item_no)),
        ("电子档案名称", record_file_name(record)),
        ("SHA-256", record.record_sha256),
        ("SM3", record.record_sm3),
        ("电子签章", str(record.signature.get("signer", "")) if record.signature else "未签章"),
        ("归档时间", _local(record.archived_at)),
        ("备注", record.remarks),
    ]:
        ET.SubElement(management, name).text = value
    if record.sheet_file:  # a 批办 notice: its 处理笺, sealed beside the record
        sheet = ET.SubElement(management, "处理笺")
        for name, value in [
            ("电子档案名称", sheet_file_name(record)),
            ("SHA-256", record.sheet_sha256),
            ("SM3", record.sheet_sm3),
            (
                "电子签章",
                str(record.sheet_signature.get("signer", ""))
                if record.sheet_signature
                else "未签章",
            ),
        ]:
            ET.SubElement(sheet, name).text = value
    handling = ET.SubElement(root, "办理信息")
    for event in events:
        step = ET.SubElement(
            handling,
            "办理",
            {"审计序号": str(event.seq), "动作": event.action},
        )
        ET.SubElement(step, "办理类型").text = HANDLING_STEPS[event.action]
        ET.SubElement(step, "办理者", {"用户名": event.actor_username}).text = _actor_name(event)
        ET.SubElement(step, "办理时间").text = _local(event.at)
        comment = event.data.get("comment") or event.data.get("reason") or ""
        if comment:
            ET.SubElement(step, "办理意见").text = str(comment)
        ET.SubElement(step, "审计哈希").text = event.hash
    _write_xml(root, path)


def copy_checkpoint(checkpoint: Checkpoint, data: Path) -> list[str]:
    folder = data / CHECKPOINT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for source in (checkpoint.path, checkpoint.signature_path):
        shutil.copyfile(source, folder / source.name)
        names.append(f"{CHECKPOINT_FOLDER}/{source.name}")
    return names


def sign_manifest(bag_dir: Path, seal: Seal) -> None:
    """``manifest-sha256.txt.p7s`` (detached CMS, DER) and ``root.pem`` beside the manifest."""
    manifest = (bag_dir / MANIFEST).read_bytes()
    (bag_dir / MANIFEST_SIGNATURE).write_bytes(sign_detached(manifest, seal))
    roots = trust_roots() or [c for c in seal.chain if c.self_signed in ("yes", "maybe")]
    (bag_dir / ROOTS).write_bytes(b"".join(pem.armor("CERTIFICATE", c.dump()) for c in roots))


def write_readme(
    path: Path,
    *,
    year: int,
    records: Sequence[ArchivedRecord],
    seal: Seal | None,
    checkpoint: Checkpoint | None,
    organisations: str,
) -> None:
    signed = (
        f"签章者 / signed by: {seal.name}{'（演示证书 DEMO）' if seal.demo else ''}\r\n"
        f"证书 SHA-256 / certificate SHA-256: {seal.certificate_sha256}\r\n"
        if seal
        else "未签名：导出时未配置电子印章证书 / UNSIGNED: no seal certificate was configured\r\n"
    )
    anchor = (
        f"审计检查点 / audit checkpoint: #{checkpoint.seq} {checkpoint.hash}"
        f" ({checkpoint.payload.get('made_at', '')})\r\n"
        if checkpoint
        else "审计检查点 / audit checkpoint: 无 none\r\n"
    )
    text = (
        "归档文件移交包 说明文件 / Archive transfer package\r\n"
        "========================================\r\n"
        f"立档单位 / organisation: {organisations}\r\n"
        f"年度 / year: {year}\r\n"
        f"归档文件数 / records: {len(records)}\r\n"
        f"生成时间 / made: {_local(datetime.now(UTC))}\r\n" + signed + anchor + "\r\n"
        "结构 / layout (BagIt 1.0):\r\n"
        "  data/records/<档号>.pdf        归档文件（PDF/A-3b，PAdES 电子签章）\r\n"
        "  data/records/<档号>.handling-sheet.pdf  批办件的处理笺（同一归档章与电子签章）\r\n"
        "  data/attachments/<档号>/       原件附件\r\n"
        "  data/metadata/<档号>.xml       公文元数据（GB/T 33480）与办理信息\r\n"
        "  data/文件目录.XML              归档文件目录；catalogue.csv / catalogue.xlsx 同\r\n"
        "  data/audit-checkpoint/         已签名的审计链检查点（JSON + CMS）\r\n"
        "  manifest-sha256.txt            每个文件的 SHA-256；.p7s 为其 CMS 签名\r\n"
        "  root.pem                       信任根证书副本（请与可信来源核对指纹）\r\n"
        "\r\n"
        "校验 / verify (docs/archive-package.md):\r\n"
        "  sha256sum -c manifest-sha256.txt && sha256sum -c tagmanifest-sha256.txt\r\n"
        "  openssl cms -verify -binary -inform DER -in manifest-sha256.txt.p7s"
        " -content manifest-sha256.txt -CAfile root.pem -purpose any -out /dev/null\r\n"
        "  pyhanko sign validate --trust root.pem --trust-replace"
        " --no-revocation-check data/records/<档号>.pdf\r\n"
    )
    path.write_text(text, encoding="utf-8")
