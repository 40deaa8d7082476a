"""Every user-visible sentence, keyed, with Chinese, Indonesian and English side by side.

No literal user text lives anywhere else. ``text(key, lang, **values)`` fills ``{placeholders}``;
a test checks that every key has all three languages and the same placeholders in each.

Sections are owned by domain (add keys inside your section, keep them sorted by key).
"""

from __future__ import annotations

import string

LANGS = ("zh", "id", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # --- general / dialog ---------------------------------------------------------------
    "general.internal_error": {
        "zh": "抱歉，处理时出了问题，已记录。请稍后再试，或联系管理员。",
        "id": "Maaf, terjadi masalah saat memproses. Sudah dicatat; coba lagi nanti atau hubungi admin.",
        "en": "Sorry, something went wrong while handling that. It has been logged; please try again later.",
    },
    "ask.material": {
        "zh": "要生产哪个物料？请发料号（如 BOM-2050）或名称。",
        "id": "Material apa yang mau diproduksi? Kirim kodenya (mis. BOM-2050) atau namanya.",
        "en": "Which material should be produced? Send its code (e.g. BOM-2050) or name.",
    },
    "ask.quantity": {
        "zh": "生产数量是多少？",
        "id": "Berapa jumlah yang diproduksi?",
        "en": "What quantity should be produced?",
    },
    "ask.quantity_of": {
        "zh": "{material} 要生产多少（{unit}）？",
        "id": "Berapa {material} yang diproduksi ({unit})?",
        "en": "How many {material} ({unit})?",
    },
    "ask.due_date": {
        "zh": "计划哪天完工？（例如 4月10日、下周五）",
        "id": "Kapan rencana selesai? (mis. 10 April, Jumat depan)",
        "en": "When should it be finished? (e.g. April 10, next Friday)",
    },
    "ask.production_type": {
        "zh": "生产订单类型？",
        "id": "Tipe pesanan produksi?",
        "en": "Which production order type?",
    },
    "ask.work_center": {
        "zh": "在哪个车间生产？",
        "id": "Diproduksi di bengkel/lini mana?",
        "en": "Which work center should make it?",
    },
    "ask.default_mark": {
        "zh": "{choice}（常用）",
        "id": "{choice} (biasanya)",
        "en": "{choice} (usual)",
    },
    "ask.which_order": {
        "zh": "请告诉我生产订单号，例如 P20250401。",
        "id": "Sebutkan nomor pesanan produksinya, mis. P20250401.",
        "en": "Please tell me the production order number, e.g. P20250401.",
    },
    "ask.which_material": {
        "zh": "请告诉我物料，例如 BOM-4100 或 控制板。",
        "id": "Sebutkan materialnya, mis. BOM-4100 atau papan kontrol.",
        "en": "Please tell me the material, e.g. BOM-4100 or control board.",
    },
    "ask.what_change": {
        "zh": "要把 {bill_no} 改成什么？可以改数量、完工日期或车间，例如“{bill_no} 数量改成 500”。",
        "id": "Apa yang diubah untuk {bill_no}? Bisa jumlah, tanggal selesai atau bengkel, mis. \"{bill_no} ubah jumlah jadi 500\".",
        "en": "What should change on {bill_no}? Quantity, finish date or work center, e.g. \"{bill_no} qty to 500\".",
    },
    "button.confirm": {"zh": "确认", "id": "ya", "en": "yes"},
    "button.cancel": {"zh": "取消", "id": "batal", "en": "no"},
    "dialog.cancelled": {
        "zh": "已取消，K/3 中没有写入任何内容。",
        "id": "Dibatalkan, tidak ada yang ditulis ke K/3.",
        "en": "Cancelled; nothing was written to K/3.",
    },
    "dialog.nothing_pending": {
        "zh": "目前没有等待你确认的操作。",
        "id": "Tidak ada yang menunggu konfirmasi Anda.",
        "en": "There is nothing waiting for your confirmation.",
    },
    "dialog.help": {
        "zh": "我可以帮你处理金蝶 K/3 生产订单：\n- 创建：创建生产订单 BOM-2050 数量 300，4月10日完工\n- 修改：P20250401 数量改成 500 / 完工日期改到 4月15日\n- 查询：P20250401 进度怎么样；BOM-4100 还有多少库存\n- 报工：P20250401 做完了120个，报废4个\n- 审批（经理）：批准 P20250402 / 拒绝 P20250402\n写入 K/3 之前我都会先请你确认。",
        "id": "Saya bisa bantu pesanan produksi Kingdee K/3:\n- Buat: Buat pesanan produksi BOM-2050 jumlah 300 selesai 10 April\n- Ubah: P20250401 ubah jumlah jadi 500 / tanggal selesai 15 April\n- Cek: Bagaimana progres P20250401; stok BOM-4100?\n- Lapor hasil: P20250401 selesai 120, cacat 4\n- Persetujuan (manajer): setujui P20250402 / tolak P20250402\nSebelum menulis ke K/3 saya selalu minta konfirmasi.",
        "en": "I help with Kingdee K/3 production orders:\n- Create: Create production order BOM-2050 qty 300, finish April 10\n- Change: P20250401 qty to 500 / finish date April 15\n- Ask: progress of P20250401; stock of BOM-4100\n- Report output: P20250401 done 120, scrap 4\n- Approvals (managers): approve P20250402 / reject P20250402\nI always ask you to confirm before writing to K/3.",
    },
    "dialog.greet": {
        "zh": "你好{name}！我是生产订单助手。",
        "id": "Halo{name}! Saya asisten pesanan produksi.",
        "en": "Hello{name}! I am the production order assistant.",
    },
    "dialog.out_of_scope": {
        "zh": "抱歉，这个我帮不上忙。我只处理生产订单、库存和报工。发“帮助”看看我能做什么。",
        "id": "Maaf, saya tidak bisa membantu itu. Saya hanya menangani pesanan produksi, stok dan laporan hasil. Ketik \"bantuan\".",
        "en": "Sorry, I can't help with that. I handle production orders, stock and output reports. Type \"help\" to see how.",
    },
    "order.not_found": {
        "zh": "K/3 中找不到生产订单 {bill_no}。",
        "id": "Pesanan produksi {bill_no} tidak ditemukan di K/3.",
        "en": "Production order {bill_no} was not found in K/3.",
    },
    "order.status_line": {
        "zh": "生产订单 {bill_no}：{material}（{material_number}）\n状态：{status}｜数量：{qty} {unit}\n已汇报：合格 {good}，报废 {scrap}，完成 {percent}%\n计划：{plan_start} → {plan_finish}｜车间：{work_center}",
        "id": "Pesanan produksi {bill_no}: {material} ({material_number})\nStatus: {status} | Jumlah: {qty} {unit}\nDilaporkan: bagus {good}, cacat {scrap}, selesai {percent}%\nRencana: {plan_start} → {plan_finish} | Bengkel: {work_center}",
        "en": "Production order {bill_no}: {material} ({material_number})\nStatus: {status} | Quantity: {qty} {unit}\nReported: good {good}, scrap {scrap}, {percent}% complete\nPlan: {plan_start} → {plan_finish} | Work center: {work_center}",
    },
    "order.status.1": {"zh": "计划", "id": "direncanakan", "en": "planned"},
    "order.status.2": {"zh": "计划确认", "id": "rencana dikonfirmasi", "en": "plan confirmed"},
    "order.status.3": {"zh": "下达", "id": "dirilis", "en": "released"},
    "order.status.4": {"zh": "开工", "id": "sudah mulai", "en": "started"},
    "order.status.5": {"zh": "完工", "id": "selesai", "en": "finished"},
    "order.status.6": {"zh": "结案", "id": "ditutup", "en": "closed"},
    "order.status.7": {"zh": "结算", "id": "diselesaikan biayanya", "en": "settled"},
    "stock.line": {
        "zh": "{material}（{material_number}）库存：{qty} {unit}，安全库存 {safety} {unit}{warning}",
        "id": "Stok {material} ({material_number}): {qty} {unit}, stok pengaman {safety} {unit}{warning}",
        "en": "Stock of {material} ({material_number}): {qty} {unit}, safety stock {safety} {unit}{warning}",
    },
    "stock.below_safety": {"zh": "（低于安全库存！）", "id": " (di bawah stok pengaman!)", "en": " (below safety stock!)"},
    "stock.unknown_material": {
        "zh": "映射表里没有物料 {material}，请检查料号。",
        "id": "Material {material} tidak ada di tabel pemetaan; periksa kodenya.",
        "en": "Material {material} is not in the mapping table; please check the code.",
    },
    # --- k3 (K/3 Cloud errors and results) -----------------------------------------------
    # --- dingtalk (channel) ----------------------------------------------------------------
    # --- authz (LDAP roles) -------------------------------------------------------------
    "authz.action.approval_decide": {
        "zh": "审批变更",
        "id": "memutuskan persetujuan perubahan",
        "en": "decide on approvals",
    },
    "authz.action.order_change": {
        "zh": "修改生产订单",
        "id": "mengubah perintah produksi",
        "en": "change production orders",
    },
    "authz.action.order_create": {
        "zh": "创建生产订单",
        "id": "membuat perintah produksi",
        "en": "create production orders",
    },
    "authz.action.order_query": {
        "zh": "查询生产订单",
        "id": "melihat perintah produksi",
        "en": "look up production orders",
    },
    "authz.action.report_output": {
        "zh": "汇报产量",
        "id": "melaporkan hasil produksi",
        "en": "report production output",
    },
    "authz.action.stock_query": {
        "zh": "查询库存",
        "id": "melihat stok",
        "en": "check stock",
    },
    "authz.directory_unavailable": {
        "zh": "抱歉，现在暂时无法核验权限，请稍后再试。",
        "id": "Maaf, izin Anda tidak dapat diperiksa saat ini. Silakan coba lagi nanti.",
        "en": "Sorry, permissions cannot be checked right now. Please try again later.",
    },
    "authz.invalid_identity": {
        "zh": "抱歉，无法识别你的账号，这次操作（{action}）已拒绝。请联系管理员。",
        "id": "Maaf, akun Anda tidak dapat dikenali, jadi permintaan ({action}) ditolak. Silakan hubungi admin.",
        "en": "Sorry, your account could not be recognised, so this request ({action}) was refused. "
        "Please contact an administrator.",
    },
    "authz.not_in_directory": {
        "zh": "抱歉，在公司通讯录里找不到你的账号，所以暂时不能{action}。请联系管理员开通。",
        "id": "Maaf, akun Anda tidak ada di direktori perusahaan, jadi Anda belum bisa {action}. "
        "Silakan hubungi admin.",
        "en": "Sorry, your account is not in the company directory, so you cannot {action} yet. "
        "Please contact an administrator.",
    },
    "authz.refused": {
        "zh": "{name}，抱歉，你没有{action}的权限。如需开通，请联系主管或管理员。",
        "id": "Maaf {name}, Anda tidak punya izin untuk {action}. Hubungi atasan atau admin jika perlu akses.",
        "en": "Sorry {name}, you are not allowed to {action}. Ask your manager or an administrator for access.",
    },
    # --- audit ----------------------------------------------------------------------------
    "audit.verify.broken": {
        "zh": "审计记录校验失败：第一条异常记录是 #{record_id}（{reason}），共检查 {checked} 条。",
        "id": "Verifikasi jejak audit GAGAL: catatan rusak pertama #{record_id} ({reason}); {checked} diperiksa.",
        "en": "Audit trail verification FAILED: first broken record #{record_id} ({reason}); {checked} checked.",
    },
    "audit.verify.ok": {
        "zh": "审计记录完整：{checked} 条记录校验通过。",
        "id": "Jejak audit utuh: {checked} catatan terverifikasi.",
        "en": "Audit trail intact: {checked} records verified.",
    },
    # --- workflow (create, change, risk checks) -----------------------------------------
    # --- approval (closed loop) --------------------------------------------------------------
    # --- report (shop-floor output) ----------------------------------------------------------
    # --- nlu / help ---------------------------------------------------------------------------
}


class MissingMessage(KeyError):
    pass


def text(key: str, lang: str, **values) -> str:
    """The sentence for ``key`` in ``lang`` (falls back to English), placeholders filled."""
    try:
        entry = MESSAGES[key]
    except KeyError:
        raise MissingMessage(key) from None
    template = entry.get(lang) or entry["en"]
    return template.format(**values)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
