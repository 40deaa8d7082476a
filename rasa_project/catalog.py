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
    "button.confirm": {"zh": "确认", "id": "ya", "en": "Confirm"},
    "button.cancel": {"zh": "取消", "id": "batal", "en": "Cancel"},
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
        "zh": "{code} {material}（{material_number}）库存：{qty} {unit}，安全库存 {safety} {unit}{warning}",
        "id": "Stok {code} {material} ({material_number}): {qty} {unit}, stok pengaman {safety} {unit}{warning}",
        "en": "Stock of {code} {material} ({material_number}): {qty} {unit}, safety stock {safety} {unit}{warning}",
    },
    "stock.below_safety": {"zh": "（低于安全库存！）", "id": " (di bawah stok pengaman!)", "en": " (below safety stock!)"},
    "stock.unknown_material": {
        "zh": "映射表里没有物料 {material}，请检查料号。",
        "id": "Material {material} tidak ada di tabel pemetaan; periksa kodenya.",
        "en": "Material {material} is not in the mapping table; please check the code.",
    },
    # --- k3 (K/3 Cloud errors and results) -----------------------------------------------
    "k3.auth_failed": {
        "zh": "K/3 拒绝了助手的登录（账套、应用或密钥不正确），请联系管理员。",
        "id": "K/3 menolak login asisten (akun data, aplikasi atau kunci salah). Mohon hubungi admin.",
        "en": "K/3 refused the assistant's login (data center, app or secret is wrong). Please tell the administrator.",
    },
    "k3.duplicate": {
        "zh": "K/3 提示{field}已被使用，不能重复。",
        "id": "K/3 menyatakan {field} sudah dipakai dan tidak boleh ganda.",
        "en": "K/3 says the {field} is already in use.",
    },
    "k3.field.bill_no": {
        "zh": "单据编号",
        "id": "nomor dokumen",
        "en": "document number",
    },
    "k3.field.bill_type": {
        "zh": "生产订单类型",
        "id": "jenis pesanan produksi",
        "en": "production type",
    },
    "k3.field.bom": {
        "zh": "BOM（物料清单）",
        "id": "BOM (daftar material)",
        "en": "BOM (bill of materials)",
    },
    "k3.field.date": {
        "zh": "单据日期",
        "id": "tanggal dokumen",
        "en": "document date",
    },
    "k3.field.document_status": {
        "zh": "单据状态",
        "id": "status dokumen",
        "en": "document status",
    },
    "k3.field.good_qty": {
        "zh": "合格数量",
        "id": "jumlah bagus",
        "en": "good quantity",
    },
    "k3.field.material": {
        "zh": "物料",
        "id": "material",
        "en": "material",
    },
    "k3.field.order": {
        "zh": "生产订单",
        "id": "pesanan produksi",
        "en": "production order",
    },
    "k3.field.org": {
        "zh": "生产组织",
        "id": "organisasi produksi",
        "en": "production organisation",
    },
    "k3.field.plan_finish": {
        "zh": "计划完工日期",
        "id": "tanggal rencana selesai",
        "en": "plan finish date",
    },
    "k3.field.plan_start": {
        "zh": "计划开工日期",
        "id": "tanggal rencana mulai",
        "en": "plan start date",
    },
    "k3.field.qty": {
        "zh": "数量",
        "id": "jumlah",
        "en": "quantity",
    },
    "k3.field.report_qty": {
        "zh": "汇报数量",
        "id": "jumlah yang dilaporkan",
        "en": "reported quantity",
    },
    "k3.field.scrap_qty": {
        "zh": "报废数量",
        "id": "jumlah afkir",
        "en": "scrap quantity",
    },
    "k3.field.status": {
        "zh": "订单业务状态",
        "id": "status pesanan",
        "en": "order status",
    },
    "k3.field.unit": {
        "zh": "单位",
        "id": "satuan",
        "en": "unit",
    },
    "k3.field.unknown": {
        "zh": "某个字段",
        "id": "salah satu kolom",
        "en": "one of the fields",
    },
    "k3.field.work_center": {
        "zh": "生产车间",
        "id": "work center",
        "en": "work center",
    },
    "k3.invalid_reference": {
        "zh": "K/3 不接受该{field}：它不存在、未审核或已禁用。",
        "id": "K/3 tidak menerima {field} tersebut: tidak ada, belum diaudit, atau dinonaktifkan.",
        "en": "K/3 does not accept that {field}: it does not exist, is not audited or is disabled.",
    },
    "k3.missing_field": {
        "zh": "K/3 提示缺少{field}。",
        "id": "K/3 menyatakan {field} belum diisi.",
        "en": "K/3 says the {field} is missing.",
    },
    "k3.no_audited_bom": {
        "zh": "K/3 中该物料没有已审核的 BOM，不能创建生产订单。",
        "id": "Material ini tidak punya BOM yang sudah diaudit di K/3, jadi pesanan produksi tidak bisa dibuat.",
        "en": "K/3 has no audited BOM for this material, so no production order can be created.",
    },
    "k3.not_found": {
        "zh": "K/3 中找不到该{field}。",
        "id": "{field} tersebut tidak ditemukan di K/3.",
        "en": "K/3 could not find that {field}.",
    },
    "k3.over_report": {
        "zh": "K/3 拒绝了本次报工：加上之前的报工会超过订单数量。",
        "id": "K/3 menolak laporan ini: bersama laporan sebelumnya jumlahnya melebihi jumlah pesanan.",
        "en": "K/3 refused the report: together with earlier reports it would exceed the order quantity.",
    },
    "k3.permission_denied": {
        "zh": "助手使用的 K/3 账号没有执行此操作的权限，请联系 K/3 管理员。",
        "id": "Akun K/3 asisten tidak berhak melakukan ini. Mohon hubungi admin K/3.",
        "en": "The assistant's K/3 account is not allowed to do this. Please ask the K/3 administrator.",
    },
    "k3.qty_below_reported": {
        "zh": "新数量 {qty} 小于已报工数量 {reported}，K/3 不能接受。",
        "id": "Jumlah baru {qty} lebih kecil dari yang sudah dilaporkan ({reported}); K/3 tidak bisa menerimanya.",
        "en": "The new quantity {qty} is below what has already been reported ({reported}); K/3 cannot accept it.",
    },
    "k3.rejected": {
        "zh": "K/3 不接受{field}，请检查后再试。",
        "id": "K/3 tidak menerima {field}; mohon periksa lalu coba lagi.",
        "en": "K/3 did not accept the {field}; please check it and try again.",
    },
    "k3.rejected_general": {
        "zh": "K/3 按业务规则拒绝了这个请求。",
        "id": "K/3 menolak permintaan ini karena aturan bisnisnya.",
        "en": "K/3 refused the request because of one of its business rules.",
    },
    "k3.session_lost": {
        "zh": "助手的 K/3 登录已失效，重新登录也未成功，请联系管理员。",
        "id": "Login K/3 asisten kedaluwarsa dan login ulang gagal. Mohon hubungi admin.",
        "en": "The assistant's K/3 login expired and signing in again did not work. Please tell the administrator.",
    },
    "k3.status_not_allowed": {
        "zh": "在当前{field}下，K/3 不允许这个操作。",
        "id": "K/3 tidak mengizinkan ini pada {field} saat ini.",
        "en": "K/3 does not allow this with the current {field}.",
    },
    "k3.unavailable": {
        "zh": "K/3 暂时没有响应，请几分钟后再试。",
        "id": "K/3 sedang tidak merespons; coba lagi beberapa menit lagi.",
        "en": "K/3 is not answering right now; please try again in a few minutes.",
    },
    "k3.unknown_form": {
        "zh": "K/3 中没有所需的单据（{form}），请联系管理员。",
        "id": "K/3 tidak memiliki formulir yang dibutuhkan ({form}). Mohon hubungi admin.",
        "en": "K/3 does not have the form this needs ({form}). Please tell the administrator.",
    },
    # --- dingtalk (channel) ----------------------------------------------------------------
    "dingtalk.image_title": {
        "zh": "图片",
        "id": "Gambar",
        "en": "Image",
    },
    "dingtalk.slow_down": {
        "zh": "消息发得太快了，我先暂停处理你的新消息，请稍等一分钟再发。",
        "id": "Pesan Anda terlalu cepat; pesan baru tidak saya proses dulu. Tunggu sekitar satu menit lalu kirim lagi.",
        "en": "You are sending messages too fast, so I am not reading new ones for a moment. "
        "Please wait a minute and send it again.",
    },
    "dingtalk.stale_rerun": {
        "zh": "你较早发的“{text}”在服务重启时中断了，还没来得及回复；你之后的消息已经处理过了，为避免顺序错乱或重复执行，"
        "这条不再继续。如果它是修改或确认，请先查一下订单（发“订单号 进度”）再决定是否重新发送。",
        "id": "Pesan Anda sebelumnya \"{text}\" terputus saat layanan dimulai ulang, sebelum sempat dijawab, dan pesan "
        "Anda sesudahnya sudah diproses. Agar tidak salah urutan atau dijalankan dua kali, pesan itu tidak dilanjutkan. "
        "Bila itu perubahan atau konfirmasi, cek dulu pesanannya (kirim \"<nomor pesanan> progres\") sebelum mengirim lagi.",
        "en": "Your earlier message \"{text}\" was cut off by a service restart before I could answer it, and your "
        "later messages were already handled. So that nothing runs out of order or twice, I did not go on with it. "
        "If it was a change or a confirmation, check the order first (send \"<order number> status\") before "
        "sending it again.",
    },
    "dingtalk.out_of_order": {
        "zh": "你较早发的“{text}”送达得比你之后的消息还晚（钉钉重发）。为避免顺序错乱，这条没有执行。如果还需要，请重新发送。",
        "id": "Pesan Anda sebelumnya \"{text}\" baru sampai setelah pesan Anda berikutnya (dikirim ulang oleh DingTalk). "
        "Agar tidak salah urutan, pesan itu tidak dijalankan. Kirim lagi bila masih perlu.",
        "en": "Your earlier message \"{text}\" arrived after your later ones (DingTalk delivered it again). So that "
        "nothing runs out of order, it was not run. Send it again if you still need it.",
    },
    "dingtalk.too_long": {
        "zh": "这条消息太长了（最多 {max} 个字），我没有处理。请分几条、简短地发给我。",
        "id": "Pesan ini terlalu panjang (maksimal {max} karakter), jadi tidak saya proses. Kirim lebih singkat, "
        "dalam beberapa pesan.",
        "en": "That message is too long (at most {max} characters), so I did not read it. "
        "Please send it in shorter messages.",
    },
    "dingtalk.unsupported_message": {
        "zh": "我目前只能读文字和语音消息，请用文字告诉我您需要什么。",
        "id": "Saat ini saya hanya bisa membaca pesan teks dan suara. Silakan ketik apa yang Anda perlukan.",
        "en": "I can only read text and voice messages for now. Please type what you need.",
    },
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
    "audit.anchor.group_post": {
        "zh": "审计链头锚点：#{record_id} {hash}（{at}）签名 {mac}",
        "id": "Jangkar kepala rantai audit: #{record_id} {hash} ({at}) tanda tangan {mac}",
        "en": "Audit chain head anchor: #{record_id} {hash} ({at}) signature {mac}",
    },
    "audit.anchor.written": {
        "zh": "已导出审计链头：#{record_id} {hash}，写入 {path}。",
        "id": "Kepala rantai audit diekspor: #{record_id} {hash}, ditulis ke {path}.",
        "en": "Audit chain head exported: #{record_id} {hash}, written to {path}.",
    },
    "audit.anchors.broken": {
        "zh": "审计记录与外部锚点不符：锚点 #{record_id}（{reason}），共核对 {anchors} 个锚点。整条链可能已被改写。",
        "id": "Jejak audit TIDAK cocok dengan jangkar luar: jangkar #{record_id} ({reason}); {anchors} jangkar diperiksa. "
        "Seluruh rantai mungkin telah ditulis ulang.",
        "en": "Audit trail does NOT match its outside anchors: anchor #{record_id} ({reason}); {anchors} anchors "
        "checked. The whole chain may have been rewritten.",
    },
    "audit.anchors.ok": {
        "zh": "审计记录与 {anchors} 个外部锚点一致。",
        "id": "Jejak audit cocok dengan {anchors} jangkar luar.",
        "en": "Audit trail matches its {anchors} outside anchors.",
    },
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
    "workflow.already_decided": {
        "zh": "变更申请 {ref} 已由 {approver} 于 {decided_at} {decision}，无需再次处理。",
        "id": "Permintaan perubahan {ref} sudah {decision} oleh {approver} pada {decided_at}.",
        "en": "Change request {ref} was already {decision} by {approver} at {decided_at}.",
    },
    "workflow.approval_not_manager": {
        "zh": "只有经理可以审批变更申请 {ref}。",
        "id": "Hanya manajer yang boleh memutuskan permintaan perubahan {ref}.",
        "en": "Only a manager can decide change request {ref}.",
    },
    "workflow.approval_own_request": {
        "zh": "变更申请 {ref} 是您本人提交的，需由另一位经理审批。",
        "id": "Permintaan perubahan {ref} diajukan oleh Anda sendiri; manajer lain yang harus memutuskan.",
        "en": "You submitted change request {ref} yourself; another manager has to decide it.",
    },
    "workflow.change_already_open": {
        "zh": "生产订单 {bill_no} 已有未完成的变更申请 {ref}，请等它处理完再提新的变更。",
        "id": "Perintah produksi {bill_no} sudah punya permintaan perubahan {ref} yang belum selesai; tunggu sampai selesai.",
        "en": "Production order {bill_no} already has an open change request {ref}; wait until it is settled.",
    },
    "workflow.change_applied": {
        "zh": "已在 K/3 中修改生产订单 {bill_no}（{material_code} {material_name}，变更申请 {ref}）：",
        "id": "Perintah produksi {bill_no} ({material_code} {material_name}) sudah diubah di K/3 (permintaan {ref}):",
        "en": "Production order {bill_no} ({material_code} {material_name}) was changed in K/3 (request {ref}):",
    },
    "workflow.change_apply_unknown": {
        "zh": "K/3 没有及时响应，变更申请 {ref}（生产订单 {bill_no}）是否已写入尚不确定。我会先核对 K/3 中的订单再决定是否重写，不会重复修改。",
        "id": "K/3 tidak menjawab tepat waktu; belum pasti apakah perubahan {ref} (perintah {bill_no}) sudah tersimpan. Saya akan memeriksa pesanan di K/3 dulu sebelum menulis ulang.",
        "en": "K/3 did not answer in time, so it is not yet certain whether change {ref} (order {bill_no}) was written. I will check the order in K/3 before writing again.",
    },
    "workflow.change_awaiting_approval": {
        "zh": "变更申请 {ref}（生产订单 {bill_no}）正在等待经理审批。",
        "id": "Permintaan perubahan {ref} (perintah {bill_no}) sedang menunggu persetujuan manajer.",
        "en": "Change request {ref} (order {bill_no}) is waiting for a manager's approval.",
    },
    "workflow.change_cancelled": {
        "zh": "变更申请 {ref}（生产订单 {bill_no}）已取消，K/3 未做任何修改。",
        "id": "Permintaan perubahan {ref} (perintah {bill_no}) dibatalkan; tidak ada yang diubah di K/3.",
        "en": "Change request {ref} (order {bill_no}) was cancelled; nothing was changed in K/3.",
    },
    "workflow.change_checked": {
        "zh": "变更申请 {ref}：生产订单 {bill_no}（{material_code} {material_name}）检查通过，确认执行以下修改吗？",
        "id": "Permintaan perubahan {ref}: perintah produksi {bill_no} ({material_code} {material_name}) lolos pemeriksaan. Jalankan perubahan ini?",
        "en": "Change request {ref}: production order {bill_no} ({material_code} {material_name}) passed the checks. Apply this change?",
    },
    "workflow.change_expired": {
        "zh": "变更申请 {ref}（生产订单 {bill_no}）已过期，未做修改。如仍需要，请重新提交。",
        "id": "Permintaan perubahan {ref} (perintah {bill_no}) sudah kedaluwarsa dan tidak diterapkan. Ajukan lagi bila masih perlu.",
        "en": "Change request {ref} (order {bill_no}) expired without being applied. Please ask again if it is still needed.",
    },
    "workflow.change_in_progress": {
        "zh": "变更申请 {ref}（生产订单 {bill_no}）正在写入 K/3，请稍候。",
        "id": "Perubahan {ref} (perintah {bill_no}) sedang ditulis ke K/3, mohon tunggu.",
        "en": "Change {ref} (order {bill_no}) is being written to K/3; please wait.",
    },
    "workflow.change_is_final": {
        "zh": "变更申请 {ref}（生产订单 {bill_no}）状态：{state_name}。",
        "id": "Permintaan perubahan {ref} (perintah {bill_no}) berstatus: {state_name}.",
        "en": "Change request {ref} (order {bill_no}) is {state_name}.",
    },
    "workflow.change_k3_rejected": {
        "zh": "K/3 拒绝了变更申请 {ref}（生产订单 {bill_no}，字段 {field}），订单未修改。",
        "id": "K/3 menolak perubahan {ref} (perintah {bill_no}, kolom {field}); pesanan tidak diubah.",
        "en": "K/3 refused change {ref} (order {bill_no}, field {field}); the order was not changed.",
    },
    "workflow.change_needs_approval": {
        "zh": "变更申请 {ref}：生产订单 {bill_no}（{material_code} {material_name}）的修改有风险，需要经理审批，已通知经理。暂未修改 K/3。",
        "id": "Permintaan perubahan {ref}: perubahan perintah {bill_no} ({material_code} {material_name}) berisiko dan perlu persetujuan manajer; manajer sudah diminta. K/3 belum diubah.",
        "en": "Change request {ref}: the change to order {bill_no} ({material_code} {material_name}) is risky and needs a manager's approval; the manager was asked. K/3 has not been changed yet.",
    },
    "workflow.change_not_yours": {
        "zh": "变更申请 {ref} 不是您提交的，只有提交人可以确认或取消。",
        "id": "Permintaan perubahan {ref} bukan milik Anda; hanya pengaju yang bisa mengonfirmasi atau membatalkan.",
        "en": "Change request {ref} is not yours; only the requester can confirm or cancel it.",
    },
    "workflow.change_nothing": {
        "zh": "没有要修改的内容：生产订单 {bill_no} 已经是这些值。",
        "id": "Tidak ada yang berubah: perintah produksi {bill_no} sudah bernilai demikian.",
        "en": "Nothing to change: production order {bill_no} already has these values.",
    },
    "workflow.change_rejected": {
        "zh": "变更申请 {ref}（生产订单 {bill_no}）已被 {approver} 驳回，订单未修改。{note}",
        "id": "Permintaan perubahan {ref} (perintah {bill_no}) ditolak oleh {approver}; pesanan tidak diubah. {note}",
        "en": "Change request {ref} (order {bill_no}) was rejected by {approver}; the order was not changed. {note}",
    },
    "workflow.change_unknown": {
        "zh": "找不到变更申请 {ref}。",
        "id": "Permintaan perubahan {ref} tidak ditemukan.",
        "en": "There is no change request {ref}.",
    },
    "workflow.change_world_changed": {
        "zh": "生产订单 {bill_no} 在此期间已有变化，变更申请 {ref} 没有执行：",
        "id": "Perintah produksi {bill_no} berubah sementara itu, jadi perubahan {ref} tidak diterapkan:",
        "en": "Production order {bill_no} changed in the meantime, so change {ref} was not applied:",
    },
    "workflow.check_capacity_ok": {
        "zh": "车间 {work_center} 产能足够（最高 {load}/{capacity}，{day}）。",
        "id": "Kapasitas {work_center} cukup (puncak {load}/{capacity}, {day}).",
        "en": "Work center {work_center} has capacity (peak {load}/{capacity} on {day}).",
    },
    "workflow.check_fields_ok": {
        "zh": "有需要修改的内容。",
        "id": "Ada nilai yang berubah.",
        "en": "There is something to change.",
    },
    "workflow.check_finish_ok": {
        "zh": "计划完工日期 {date} 有效。",
        "id": "Tanggal selesai {date} valid.",
        "en": "Finish date {date} is valid.",
    },
    "workflow.check_quantity_ok": {
        "zh": "数量 {qty} 有效。",
        "id": "Jumlah {qty} valid.",
        "en": "Quantity {qty} is valid.",
    },
    "workflow.check_reported_ok": {
        "zh": "数量不低于生产订单 {bill_no} 已汇报的 {reported}。",
        "id": "Jumlah tidak di bawah yang sudah dilaporkan pada perintah {bill_no} ({reported}).",
        "en": "The quantity is not below what order {bill_no} has already reported ({reported}).",
    },
    "workflow.check_skipped": {
        "zh": "此项检查不适用。",
        "id": "Pemeriksaan ini tidak berlaku.",
        "en": "This check does not apply.",
    },
    "workflow.check_status_ok": {
        "zh": "生产订单 {bill_no} 状态「{status_name}」，可以修改。",
        "id": "Perintah produksi {bill_no} berstatus “{status_name}” dan masih bisa diubah.",
        "en": "Production order {bill_no} is {status_name} and can still be changed.",
    },
    "workflow.check_stock_ok": {
        "zh": "组件 {component_code} 预计库存 {projected}，不低于安全库存 {safety_stock}。",
        "id": "Komponen {component_code}: stok proyeksi {projected}, tidak di bawah stok pengaman {safety_stock}.",
        "en": "Component {component_code}: projected stock {projected}, not below safety stock {safety_stock}.",
    },
    "workflow.check_unchanged_ok": {
        "zh": "生产订单 {bill_no} 自检查以来没有变化。",
        "id": "Perintah produksi {bill_no} tidak berubah sejak diperiksa.",
        "en": "Production order {bill_no} has not changed since the checks.",
    },
    "workflow.date_in_past": {
        "zh": "日期 {date} 已经过去（今天是 {today}），请给一个今天或以后的日期。",
        "id": "Tanggal {date} sudah lewat (hari ini {today}); beri tanggal hari ini atau sesudahnya.",
        "en": "{date} is in the past (today is {today}); please give today or a later date.",
    },
    "workflow.date_unreadable": {
        "zh": "没看懂日期“{text}”，请写成例如 2025-04-10 或“4月10日”。",
        "id": "Tanggal “{text}” tidak terbaca; tulis misalnya 2025-04-10 atau “10 April”.",
        "en": "I could not read the date “{text}”; write e.g. 2025-04-10 or “10 April”.",
    },
    "workflow.draft_already_written": {
        "zh": "该订单已写入 K/3，单号 {bill_no}，不能再取消草稿。",
        "id": "Pesanan ini sudah tertulis di K/3 dengan nomor {bill_no}; draf tidak bisa dibatalkan lagi.",
        "en": "This order is already in K/3 as {bill_no}; the draft can no longer be cancelled.",
    },
    "workflow.draft_cancelled": {
        "zh": "已取消，K/3 中没有创建订单。",
        "id": "Dibatalkan; tidak ada pesanan yang dibuat di K/3.",
        "en": "Cancelled; no order was created in K/3.",
    },
    "workflow.draft_in_progress": {
        "zh": "订单正在写入 K/3，请稍候。",
        "id": "Pesanan sedang ditulis ke K/3, mohon tunggu.",
        "en": "The order is being written to K/3; please wait.",
    },
    "workflow.draft_resumed": {
        "zh": "您确认的新建订单在写入 K/3 时被中断，系统已按您的确认继续完成：",
        "id": "Pesanan baru yang Anda konfirmasi terputus saat ditulis ke K/3; sistem sudah melanjutkannya sesuai konfirmasi Anda:",
        "en": "The new order you confirmed was interrupted while being written to K/3; it has been completed as you confirmed:",
    },
    "workflow.draft_not_yours": {
        "zh": "这张订单草稿不是您提交的，只有提交人可以确认或取消。",
        "id": "Draf pesanan ini bukan milik Anda; hanya pengaju yang bisa mengonfirmasi atau membatalkan.",
        "en": "This order draft is not yours; only the requester can confirm or cancel it.",
    },
    "workflow.draft_stale": {
        "zh": "这张草稿的计划开工日 {plan_start} 已过（今天是 {today}），请重新下单。",
        "id": "Draf ini berencana mulai {plan_start}, yang sudah lewat (hari ini {today}); silakan buat pesanan lagi.",
        "en": "This draft planned to start on {plan_start}, which has passed (today is {today}); please place the order again.",
    },
    "workflow.draft_summary": {
        "zh": "请确认生产订单：物料 {material_code} {material_name}（K/3 {material_number}），BOM {bom_number}，数量 {qty} {unit}，计划开工 {plan_start}，计划完工 {plan_finish}，单据类型 {bill_type_name}，生产车间 {work_center} {work_center_name}。确认下单吗？",
        "id": "Mohon konfirmasi perintah produksi: material {material_code} {material_name} (K/3 {material_number}), BOM {bom_number}, jumlah {qty} {unit}, mulai {plan_start}, selesai {plan_finish}, jenis {bill_type_name}, pusat kerja {work_center} {work_center_name}. Buat pesanan?",
        "en": "Please confirm the production order: material {material_code} {material_name} (K/3 {material_number}), BOM {bom_number}, quantity {qty} {unit}, plan start {plan_start}, plan finish {plan_finish}, bill type {bill_type_name}, work center {work_center} {work_center_name}. Create it?",
    },
    "workflow.draft_unknown": {
        "zh": "找不到订单草稿 {draft_id}。",
        "id": "Draf pesanan {draft_id} tidak ditemukan.",
        "en": "There is no order draft {draft_id}.",
    },
    "workflow.field_plan_finish": {
        "zh": "计划完工：{old} → {new}",
        "id": "Tanggal selesai: {old} → {new}",
        "en": "Plan finish: {old} → {new}",
    },
    "workflow.field_qty": {
        "zh": "数量：{old} → {new} {unit}",
        "id": "Jumlah: {old} → {new} {unit}",
        "en": "Quantity: {old} → {new} {unit}",
    },
    "workflow.field_work_center": {
        "zh": "生产车间：{old} {old_name} → {new} {new_name}",
        "id": "Pusat kerja: {old} {old_name} → {new} {new_name}",
        "en": "Work center: {old} {old_name} → {new} {new_name}",
    },
    "workflow.finish_before_start": {
        "zh": "计划完工日 {date} 早于计划开工日 {plan_start}。",
        "id": "Tanggal selesai {date} lebih awal dari tanggal mulai {plan_start}.",
        "en": "The finish date {date} is before the plan start {plan_start}.",
    },
    "workflow.material_forbidden": {
        "zh": "物料 {material_code}（K/3 {material_number}）在 K/3 中已禁用，不能下单。",
        "id": "Material {material_code} (K/3 {material_number}) dinonaktifkan di K/3; tidak bisa dipesan.",
        "en": "Material {material_code} (K/3 {material_number}) is forbidden in K/3 and cannot be ordered.",
    },
    "workflow.material_no_bom": {
        "zh": "物料 {material_code}（K/3 {material_number}）在 K/3 中没有已审核的 BOM，不能下生产订单。",
        "id": "Material {material_code} (K/3 {material_number}) tidak punya BOM yang sudah diaudit di K/3; perintah produksi tidak bisa dibuat.",
        "en": "{material_code} (K/3 {material_number}) has no audited BOM in K/3, so no production order can be made for it.",
    },
    "workflow.material_not_audited": {
        "zh": "物料 {material_code}（K/3 {material_number}）在 K/3 中未审核，不能下单。",
        "id": "Material {material_code} (K/3 {material_number}) belum diaudit di K/3; tidak bisa dipesan.",
        "en": "Material {material_code} (K/3 {material_number}) is not audited in K/3 and cannot be ordered.",
    },
    "workflow.material_not_in_k3": {
        "zh": "物料 {material_code} 在映射表中对应 K/3 物料 {material_number}，但 K/3 中没有这个物料。",
        "id": "Material {material_code} dipetakan ke {material_number}, tetapi material itu tidak ada di K/3.",
        "en": "{material_code} maps to K/3 material {material_number}, but K/3 has no such material.",
    },
    "workflow.material_ok": {
        "zh": "物料 {material_code} {material_name}（K/3 {material_number}，BOM {bom_number}）。",
        "id": "Material {material_code} {material_name} (K/3 {material_number}, BOM {bom_number}).",
        "en": "Material {material_code} {material_name} (K/3 {material_number}, BOM {bom_number}).",
    },
    "workflow.material_unknown": {
        "zh": "“{text}”不在物料映射表中，请检查物料代码（例如 BOM-2050）。",
        "id": "“{text}” tidak ada di tabel pemetaan material; periksa kodenya (misalnya BOM-2050).",
        "en": "{text} is not in the mapping table; please check the material code (e.g. BOM-2050).",
    },
    "workflow.order_already_created": {
        "zh": "这张订单已经创建过了：单号 {bill_no}（{material_code}，{qty} {unit}，计划完工 {plan_finish}）。",
        "id": "Pesanan ini sudah dibuat: nomor {bill_no} ({material_code}, {qty} {unit}, selesai {plan_finish}).",
        "en": "This order was already created: {bill_no} ({material_code}, {qty} {unit}, finish {plan_finish}).",
    },
    "workflow.order_changed_meanwhile": {
        "zh": "生产订单 {bill_no} 在检查之后已被修改：",
        "id": "Perintah produksi {bill_no} sudah diubah setelah diperiksa:",
        "en": "Production order {bill_no} was modified after the checks:",
    },
    "workflow.order_closed": {
        "zh": "生产订单 {bill_no} 状态为「{status_name}」，不能再修改。",
        "id": "Perintah produksi {bill_no} berstatus “{status_name}” dan tidak bisa diubah lagi.",
        "en": "Production order {bill_no} is {status_name} and can no longer be changed.",
    },
    "workflow.order_created": {
        "zh": "已在 K/3 创建生产订单 {bill_no}：{material_code} {material_name}，{qty} {unit}，计划完工 {plan_finish}，车间 {work_center}。",
        "id": "Perintah produksi {bill_no} dibuat di K/3: {material_code} {material_name}, {qty} {unit}, selesai {plan_finish}, pusat kerja {work_center}.",
        "en": "Production order {bill_no} was created in K/3: {material_code} {material_name}, {qty} {unit}, finish {plan_finish}, work center {work_center}.",
    },
    "workflow.order_rejected": {
        "zh": "K/3 拒绝保存这张生产订单（字段 {field}），没有写入任何内容。",
        "id": "K/3 menolak menyimpan perintah produksi ini (kolom {field}); tidak ada yang tertulis.",
        "en": "K/3 refused to save this production order (field {field}); nothing was written.",
    },
    "workflow.order_unknown": {
        "zh": "K/3 中找不到生产订单 {bill_no}。",
        "id": "Perintah produksi {bill_no} tidak ditemukan di K/3.",
        "en": "There is no production order {bill_no} in K/3.",
    },
    "workflow.order_write_unknown": {
        "zh": "K/3 没有及时响应，暂不确定订单是否已写入。请稍后再确认一次：我会先按请求号查找，不会重复下单。",
        "id": "K/3 tidak menjawab tepat waktu; belum pasti pesanan sudah tertulis. Konfirmasi lagi sebentar lagi: saya cek dulu dengan kunci permintaan, tidak akan membuat pesanan ganda.",
        "en": "K/3 did not answer in time, so it is not certain the order was written. Confirm again in a moment: I will look it up by its request key first and never create it twice.",
    },
    "workflow.production_type_ok": {
        "zh": "单据类型 {bill_type_name}。",
        "id": "Jenis pesanan {bill_type_name}.",
        "en": "Bill type {bill_type_name}.",
    },
    "workflow.production_type_unknown": {
        "zh": "没有“{text}”这种生产订单类型，可选：{choices}。",
        "id": "Jenis perintah produksi “{text}” tidak dikenal; pilihan: {choices}.",
        "en": "There is no production order type “{text}”; choose from: {choices}.",
    },
    "workflow.qty_below_reported": {
        "zh": "生产订单 {bill_no} 已汇报 {reported}（合格 {good}，报废 {scrap}），数量不能改为 {qty}。",
        "id": "Perintah produksi {bill_no} sudah melaporkan {reported} (baik {good}, scrap {scrap}); jumlah tidak bisa diubah menjadi {qty}.",
        "en": "Production order {bill_no} has already reported {reported} ({good} good, {scrap} scrap); the quantity cannot go down to {qty}.",
    },
    "workflow.qty_not_positive": {
        "zh": "数量必须大于 0（收到 {qty}）。",
        "id": "Jumlah harus lebih dari 0 (diterima {qty}).",
        "en": "The quantity must be more than 0 (got {qty}).",
    },
    "workflow.qty_not_whole": {
        "zh": "数量必须是整数（收到 {qty}）。",
        "id": "Jumlah harus bilangan bulat (diterima {qty}).",
        "en": "The quantity must be a whole number (got {qty}).",
    },
    "workflow.qty_too_large": {
        "zh": "数量 {qty} 超过单张订单上限 {max_qty}。",
        "id": "Jumlah {qty} melebihi batas satu pesanan ({max_qty}).",
        "en": "A quantity of {qty} is above the per-order limit of {max_qty}.",
    },
    "workflow.qty_unreadable": {
        "zh": "没看懂数量“{text}”，请写一个数字，例如 300。",
        "id": "Jumlah “{text}” tidak terbaca; tulis angka, misalnya 300.",
        "en": "I could not read the quantity “{text}”; please write a number such as 300.",
    },
    "workflow.risk_capacity": {
        "zh": "车间 {work_center} {work_center_name}：{day} 计划负荷 {load}，日产能 {capacity}，超负荷 {overload_pct}%。",
        "id": "Pusat kerja {work_center} {work_center_name}: beban {day} menjadi {load}, kapasitas harian {capacity}, kelebihan {overload_pct}%.",
        "en": "Work center {work_center} {work_center_name}: load on {day} would be {load} against a daily capacity of {capacity} ({overload_pct}% over).",
    },
    "workflow.risk_stock": {
        "zh": "组件 {component_code} {component_name}：库存 {stock}，其他在制订单需用 {other_needs}，本单需用 {need}，预计剩余 {projected}，低于安全库存 {safety_stock}（差 {shortfall}）。",
        "id": "Komponen {component_code} {component_name}: stok {stock}, kebutuhan pesanan lain {other_needs}, kebutuhan pesanan ini {need}, sisa proyeksi {projected}, di bawah stok pengaman {safety_stock} (kurang {shortfall}).",
        "en": "Component {component_code} {component_name}: stock {stock}, other open orders need {other_needs}, this order needs {need}, leaving {projected}, below the safety stock of {safety_stock} (short by {shortfall}).",
    },
    "workflow.slot_material": {
        "zh": "物料",
        "id": "material",
        "en": "material",
    },
    "workflow.slot_missing": {
        "zh": "还缺少：{slot_name}。",
        "id": "Masih kurang: {slot_name}.",
        "en": "Still missing: {slot_name}.",
    },
    "workflow.slot_plan_finish": {
        "zh": "计划完工日期",
        "id": "tanggal selesai",
        "en": "plan finish date",
    },
    "workflow.slot_production_type": {
        "zh": "生产订单类型",
        "id": "jenis perintah produksi",
        "en": "production order type",
    },
    "workflow.slot_qty": {
        "zh": "数量",
        "id": "jumlah",
        "en": "quantity",
    },
    "workflow.slot_work_center": {
        "zh": "生产车间",
        "id": "pusat kerja",
        "en": "work center",
    },
    "workflow.state_applied": {
        "zh": "已执行",
        "id": "sudah diterapkan",
        "en": "applied",
    },
    "workflow.state_applying": {
        "zh": "执行中",
        "id": "sedang diterapkan",
        "en": "being applied",
    },
    "workflow.state_approved": {
        "zh": "已批准",
        "id": "disetujui",
        "en": "approved",
    },
    "workflow.state_cancelled": {
        "zh": "已取消",
        "id": "dibatalkan",
        "en": "cancelled",
    },
    "workflow.state_checked": {
        "zh": "待确认",
        "id": "menunggu konfirmasi",
        "en": "awaiting confirmation",
    },
    "workflow.state_expired": {
        "zh": "已过期",
        "id": "kedaluwarsa",
        "en": "expired",
    },
    "workflow.state_failed": {
        "zh": "执行失败",
        "id": "gagal",
        "en": "failed",
    },
    "workflow.state_pending_approval": {
        "zh": "待审批",
        "id": "menunggu persetujuan",
        "en": "awaiting approval",
    },
    "workflow.state_refused": {
        "zh": "未通过检查",
        "id": "tidak lolos pemeriksaan",
        "en": "refused",
    },
    "workflow.state_rejected": {
        "zh": "已驳回",
        "id": "ditolak",
        "en": "rejected",
    },
    "workflow.state_requested": {
        "zh": "已提交",
        "id": "diajukan",
        "en": "requested",
    },
    "workflow.status_1": {
        "zh": "计划",
        "id": "direncanakan",
        "en": "planned",
    },
    "workflow.status_2": {
        "zh": "计划确认",
        "id": "rencana dikonfirmasi",
        "en": "plan-confirmed",
    },
    "workflow.status_3": {
        "zh": "下达",
        "id": "dirilis",
        "en": "released",
    },
    "workflow.status_4": {
        "zh": "开工",
        "id": "dimulai",
        "en": "started",
    },
    "workflow.status_5": {
        "zh": "完工",
        "id": "selesai",
        "en": "finished",
    },
    "workflow.status_6": {
        "zh": "结案",
        "id": "ditutup",
        "en": "closed",
    },
    "workflow.status_7": {
        "zh": "结算",
        "id": "sudah dihitung biaya",
        "en": "settled",
    },
    "workflow.work_center_ok": {
        "zh": "生产车间 {work_center} {work_center_name}。",
        "id": "Pusat kerja {work_center} {work_center_name}.",
        "en": "Work center {work_center} {work_center_name}.",
    },
    "workflow.work_center_unknown": {
        "zh": "没有“{text}”这个生产车间，可选：{choices}。",
        "id": "Pusat kerja “{text}” tidak dikenal; pilihan: {choices}.",
        "en": "There is no work center “{text}”; choose from: {choices}.",
    },
    # --- approval (closed loop) --------------------------------------------------------------
    "approval.button_approve": {
        "zh": "批准",
        "id": "Setujui",
        "en": "Approve",
    },
    "approval.button_reject": {
        "zh": "驳回",
        "id": "Tolak",
        "en": "Reject",
    },
    "approval.card_intro": {
        "zh": "{requester} 申请修改生产订单 {bill_no}（{material_code} {material_name}），需要您审批（{ref}）：",
        "id": "{requester} meminta perubahan perintah produksi {bill_no} ({material_code} {material_name}); perlu persetujuan Anda ({ref}):",
        "en": "{requester} asks to change production order {bill_no} ({material_code} {material_name}); your approval is needed ({ref}):",
    },
    "approval.card_reasons": {
        "zh": "需要审批的原因：",
        "id": "Alasan perlu persetujuan:",
        "en": "Why it needs approval:",
    },
    "approval.card_reminder": {
        "zh": "提醒：变更申请 {ref} 已等待审批 {hours} 小时。",
        "id": "Pengingat: permintaan perubahan {ref} sudah menunggu persetujuan {hours} jam.",
        "en": "Reminder: change request {ref} has been waiting for approval for {hours} h.",
    },
    "approval.card_title": {
        "zh": "变更审批 {ref}",
        "id": "Persetujuan perubahan {ref}",
        "en": "Change approval {ref}",
    },
    "approval.chat_approve": {
        "zh": "批准 {bill_no}",
        "id": "setujui {bill_no}",
        "en": "approve {bill_no}",
    },
    "approval.chat_reject": {
        "zh": "驳回 {bill_no}",
        "id": "tolak {bill_no}",
        "en": "reject {bill_no}",
    },
    "approval.decision_remark": {
        "zh": "审批意见：{note}",
        "id": "Catatan persetujuan: {note}",
        "en": "Remark: {note}",
    },
    "approval.escalation": {
        "zh": "变更申请 {ref}（生产订单 {bill_no}）已等待审批 {hours} 小时，请各位经理尽快处理：{mentions}",
        "id": "Permintaan perubahan {ref} (perintah {bill_no}) sudah menunggu {hours} jam; mohon para manajer segera memutuskan: {mentions}",
        "en": "Change request {ref} (order {bill_no}) has waited {hours} h for approval; managers, please decide: {mentions}",
    },
    "approval.group_decided": {
        "zh": "变更申请 {ref}（生产订单 {bill_no}）：{approver} {decision}。",
        "id": "Permintaan perubahan {ref} (perintah {bill_no}) sudah {decision} oleh {approver}.",
        "en": "Change request {ref} (order {bill_no}) was {decision} by {approver}.",
    },
    "approval.no_reason": {
        "zh": "未说明",
        "id": "tidak disebutkan",
        "en": "none given",
    },
    "approval.none_for_order": {
        "zh": "生产订单 {bill_no} 没有等待审批的变更申请。",
        "id": "Perintah produksi {bill_no} tidak punya permintaan perubahan yang menunggu persetujuan.",
        "en": "Production order {bill_no} has no change request waiting for approval.",
    },
    "approval.nothing_pending": {
        "zh": "目前没有等待您审批的变更申请。",
        "id": "Saat ini tidak ada permintaan perubahan yang menunggu persetujuan Anda.",
        "en": "There is no change request waiting for your approval.",
    },
    "approval.not_addressed": {
        "zh": "变更申请 {ref}（生产订单 {bill_no}）没有发给你审批，所以你不能批准或驳回它。",
        "id": "Permintaan perubahan {ref} (perintah produksi {bill_no}) tidak dikirim kepada Anda untuk disetujui, "
        "jadi Anda tidak dapat menyetujui atau menolaknya.",
        "en": "Change request {ref} (production order {bill_no}) was not sent to you for approval, "
        "so you cannot approve or reject it.",
    },
    "approval.pending_line": {
        "zh": "{ref}：生产订单 {bill_no}（{material_code}），{requester} 申请",
        "id": "{ref}: perintah {bill_no} ({material_code}), diajukan {requester}",
        "en": "{ref}: order {bill_no} ({material_code}), asked by {requester}",
    },
    "approval.production_notice": {
        "zh": "生产订单 {bill_no}（{material_code} {material_name}）计划已变更（{ref}，{approver} 批准）：",
        "id": "Rencana perintah produksi {bill_no} ({material_code} {material_name}) sudah diubah ({ref}, disetujui {approver}):",
        "en": "The plan of production order {bill_no} ({material_code} {material_name}) has changed ({ref}, approved by {approver}):",
    },
    "approval.requester_approved": {
        "zh": "{approver} 批准了您的变更申请 {ref}。",
        "id": "{approver} menyetujui permintaan perubahan Anda {ref}.",
        "en": "{approver} approved your change request {ref}.",
    },
    "approval.requester_expired": {
        "zh": "您的变更申请 {ref}（生产订单 {bill_no}）在 {hours} 小时内无人审批，已过期，订单未修改。如仍需要，请重新提交。",
        "id": "Permintaan perubahan Anda {ref} (perintah {bill_no}) tidak diputuskan dalam {hours} jam dan kedaluwarsa; pesanan tidak diubah. Ajukan lagi bila masih perlu.",
        "en": "Your change request {ref} (order {bill_no}) was not decided within {hours} h and expired; the order was not changed. Please ask again if it is still needed.",
    },
    "approval.requester_failed": {
        "zh": "您的变更申请 {ref} 已获 {approver} 批准，但没有写入 K/3（生产订单 {bill_no}）：",
        "id": "Permintaan perubahan Anda {ref} disetujui {approver}, tetapi tidak tertulis ke K/3 (perintah {bill_no}):",
        "en": "Your change request {ref} was approved by {approver} but was not written to K/3 (order {bill_no}):",
    },
    "approval.requester_rejected": {
        "zh": "{approver} 驳回了您的变更申请 {ref}（生产订单 {bill_no}），订单未修改。原因：{note}",
        "id": "{approver} menolak permintaan perubahan Anda {ref} (perintah {bill_no}); pesanan tidak diubah. Alasan: {note}",
        "en": "{approver} rejected your change request {ref} (order {bill_no}); the order was not changed. Reason: {note}",
    },
    "approval.requester_world_changed": {
        "zh": "您的变更申请 {ref} 已获 {approver} 批准，但生产订单 {bill_no} 在此期间有了变化，未执行修改：",
        "id": "Permintaan perubahan Anda {ref} disetujui {approver}, tetapi perintah {bill_no} berubah sementara itu; perubahan tidak dijalankan:",
        "en": "Your change request {ref} was approved by {approver}, but order {bill_no} changed in the meantime, so nothing was applied:",
    },
    "approval.which_one": {
        "zh": "有 {count} 个变更申请在等待审批，请说明是哪一个（例如“批准 {example}”）：",
        "id": "Ada {count} permintaan perubahan yang menunggu; sebutkan yang mana (mis. \"setujui {example}\"):",
        "en": "{count} change requests are waiting; say which one (e.g. \"approve {example}\"):",
    },
    # --- report (shop-floor output) ----------------------------------------------------------
    "report.already_finished": {
        "zh": "生产订单 {bill_no} 已经是“{status_name}”状态，无需再完工。",
        "id": "Perintah produksi {bill_no} sudah berstatus \"{status_name}\".",
        "en": "Production order {bill_no} is already {status_name}.",
    },
    "report.already_recorded": {
        "zh": "这条报工已经记录过（生产订单 {bill_no}，汇报单 {report_no}），不会重复汇报。",
        "id": "Laporan ini sudah tercatat (perintah {bill_no}, laporan {report_no}); tidak dilaporkan dua kali.",
        "en": "This report was already recorded (order {bill_no}, report {report_no}); it is not reported twice.",
    },
    "report.cannot_finish": {
        "zh": "生产订单 {bill_no} 当前是“{status_name}”状态，不能完工。",
        "id": "Perintah produksi {bill_no} berstatus \"{status_name}\" dan tidak bisa diselesaikan.",
        "en": "Production order {bill_no} is {status_name} and cannot be finished.",
    },
    "report.complete_offer": {
        "zh": "生产订单 {bill_no} 已达到订单数量 {qty}，已通知生产群。PMC 回复“确认”即可在 K/3 中将其完工。",
        "id": "Perintah produksi {bill_no} sudah mencapai jumlah pesanan {qty}; grup produksi sudah diberi tahu. PMC cukup membalas \"ya\" untuk menyelesaikannya di K/3.",
        "en": "Production order {bill_no} has reached its quantity of {qty}; the production group was told. PMC can reply \"yes\" to finish it in K/3.",
    },
    "report.corrected": {
        "zh": "已更正：撤回汇报单 {old_report_no}（合格 {old_good}，报废 {old_scrap}），重新汇报合格 {good}，报废 {scrap}（汇报单 {report_no}）。",
        "id": "Sudah dikoreksi: laporan {old_report_no} (baik {old_good}, scrap {old_scrap}) dibatalkan, dilaporkan ulang baik {good}, scrap {scrap} (laporan {report_no}).",
        "en": "Corrected: report {old_report_no} ({old_good} good, {old_scrap} scrap) was withdrawn and {good} good, {scrap} scrap reported instead (report {report_no}).",
    },
    "report.correction_not_yours": {
        "zh": "最近一条报工（生产订单 {bill_no}）是 {reporter} 报的，只有报工人本人可以更正。",
        "id": "Laporan terakhir (perintah {bill_no}) dibuat oleh {reporter}; hanya pelapornya yang boleh mengoreksi.",
        "en": "The last report (order {bill_no}) was made by {reporter}; only the person who reported it can correct it.",
    },
    "report.correction_too_late": {
        "zh": "您最近一条报工（生产订单 {bill_no}，{at}）已超过 {minutes} 分钟的更正时限，请联系 PMC 处理。",
        "id": "Laporan terakhir Anda (perintah {bill_no}, {at}) sudah lewat batas koreksi {minutes} menit; hubungi PMC.",
        "en": "Your last report (order {bill_no}, {at}) is past the {minutes}-minute correction window; please ask PMC.",
    },
    "report.finished": {
        "zh": "已在 K/3 中将生产订单 {bill_no}（{material_code} {material_name}）完工。",
        "id": "Perintah produksi {bill_no} ({material_code} {material_name}) sudah diselesaikan di K/3.",
        "en": "Production order {bill_no} ({material_code} {material_name}) was finished in K/3.",
    },
    "report.group_complete": {
        "zh": "生产订单 {bill_no}（{material_code} {material_name}）已全部报工：合格 {total_good}，报废 {total_scrap}（订单数量 {qty}）。PMC 回复“确认”即可在 K/3 中完工。",
        "id": "Perintah produksi {bill_no} ({material_code} {material_name}) sudah dilaporkan penuh: baik {total_good}, scrap {total_scrap} (jumlah pesanan {qty}). PMC cukup membalas \"ya\" untuk menyelesaikannya di K/3.",
        "en": "Production order {bill_no} ({material_code} {material_name}) is fully reported: {total_good} good, {total_scrap} scrap (order quantity {qty}). PMC can reply \"yes\" to finish it in K/3.",
    },
    "report.group_finished": {
        "zh": "生产订单 {bill_no}（{material_code} {material_name}）已在 K/3 中完工（{by}）。",
        "id": "Perintah produksi {bill_no} ({material_code} {material_name}) sudah diselesaikan di K/3 ({by}).",
        "en": "Production order {bill_no} ({material_code} {material_name}) was finished in K/3 ({by}).",
    },
    "report.in_progress": {
        "zh": "这条报工（生产订单 {bill_no}）正在写入 K/3，请稍候。",
        "id": "Laporan ini (perintah {bill_no}) sedang ditulis ke K/3, mohon tunggu.",
        "en": "This report (order {bill_no}) is being written to K/3; please wait.",
    },
    "report.k3_rejected": {
        "zh": "K/3 没有接受这条报工（生产订单 {bill_no}，字段 {field}），未汇报。",
        "id": "K/3 tidak menerima laporan ini (perintah {bill_no}, kolom {field}); tidak dilaporkan.",
        "en": "K/3 did not accept this report (order {bill_no}, field {field}); nothing was reported.",
    },
    "report.k3_unknown": {
        "zh": "K/3 没有及时响应，这条报工（生产订单 {bill_no}）是否已写入尚不确定。同一条消息重发时我会先按编号核对，不会重复汇报。",
        "id": "K/3 tidak menjawab tepat waktu; belum pasti apakah laporan ini (perintah {bill_no}) sudah tersimpan. Bila pesan yang sama dikirim ulang, saya periksa dulu agar tidak dilaporkan dua kali.",
        "en": "K/3 did not answer in time, so it is not certain whether this report (order {bill_no}) was recorded. If the same message comes again I check first, so it is never reported twice.",
    },
    "report.negative": {
        "zh": "报工数量不能是负数（合格 {good}，报废 {scrap}）。",
        "id": "Jumlah laporan tidak boleh negatif (baik {good}, scrap {scrap}).",
        "en": "Reported quantities cannot be negative ({good} good, {scrap} scrap).",
    },
    "report.nothing": {
        "zh": "没看到报工数量，请写明合格数和报废数，例如：P20250401 完成 120，报废 4。",
        "id": "Jumlahnya tidak terlihat; tulis jumlah baik dan scrap, mis.: P20250401 selesai 120, rusak 4.",
        "en": "I did not see any quantities; write the good and scrap counts, e.g.: P20250401 done 120, scrap 4.",
    },
    "report.nothing_to_correct": {
        "zh": "没有找到您最近的报工记录，无法更正。",
        "id": "Tidak ada laporan Anda yang baru untuk dikoreksi.",
        "en": "I found no recent report of yours to correct.",
    },
    "report.order_finished": {
        "zh": "生产订单 {bill_no} 已经是“{status_name}”状态，不能再报工。",
        "id": "Perintah produksi {bill_no} sudah berstatus \"{status_name}\"; tidak bisa dilaporkan lagi.",
        "en": "Production order {bill_no} is already {status_name}; no more output can be reported.",
    },
    "report.order_not_released": {
        "zh": "生产订单 {bill_no} 目前是“{status_name}”状态，还没有下达，不能报工。",
        "id": "Perintah produksi {bill_no} masih berstatus \"{status_name}\" dan belum dirilis; belum bisa dilaporkan.",
        "en": "Production order {bill_no} is still {status_name} and not released yet; output cannot be reported.",
    },
    "report.order_unknown": {
        "zh": "K/3 中没有生产订单 {bill_no}，请核对单号。",
        "id": "Perintah produksi {bill_no} tidak ada di K/3; periksa nomornya.",
        "en": "There is no production order {bill_no} in K/3; please check the number.",
    },
    "report.over_remaining": {
        "zh": "生产订单 {bill_no} 订单数量 {qty}，已汇报 {reported}，最多还能报 {remaining}；本次 {this} 超出了，未汇报。",
        "id": "Perintah produksi {bill_no}: jumlah {qty}, sudah dilaporkan {reported}, sisa paling banyak {remaining}; laporan ini {this} melebihi, jadi tidak dilaporkan.",
        "en": "Production order {bill_no}: quantity {qty}, already reported {reported}, at most {remaining} left; this report of {this} exceeds it and was not made.",
    },
    "report.progress": {
        "zh": "累计合格 {total_good}，报废 {total_scrap}，共 {total}/{qty} {unit}，完成 {pct}%。",
        "id": "Total baik {total_good}, scrap {total_scrap}, jumlah {total}/{qty} {unit}, selesai {pct}%.",
        "en": "Total {total_good} good, {total_scrap} scrap, {total}/{qty} {unit}, {pct}% complete.",
    },
    "report.qty_unreadable": {
        "zh": "没看懂数量“{text}”，请写数字，例如 120。",
        "id": "Jumlah \"{text}\" tidak terbaca; tulis angka, mis. 120.",
        "en": "I could not read the quantity \"{text}\"; please write a number such as 120.",
    },
    "report.recorded": {
        "zh": "已向 K/3 汇报生产订单 {bill_no}（{material_code} {material_name}）：合格 {good}，报废 {scrap}（汇报单 {report_no}）。",
        "id": "Sudah dilaporkan ke K/3 untuk perintah {bill_no} ({material_code} {material_name}): baik {good}, scrap {scrap} (laporan {report_no}).",
        "en": "Reported to K/3 for order {bill_no} ({material_code} {material_name}): {good} good, {scrap} scrap (report {report_no}).",
    },
    "report.which_order": {
        "zh": "要给哪个生产订单报工？请写单号，例如 P20250401。",
        "id": "Laporan untuk perintah produksi yang mana? Tulis nomornya, mis. P20250401.",
        "en": "Which production order is this report for? Write its number, e.g. P20250401.",
    },
    "report.pick_button": {
        "zh": "{bill_no}（已做 {good}/{qty}）",
        "id": "{bill_no} (sudah {good}/{qty})",
        "en": "{bill_no} ({good}/{qty} done)",
    },
    "report.pick_none": {
        "zh": "没有找到{material} {work_center}已下达或已开工的生产订单，无法报工。请发订单号，例如 P20250401。",
        "id": "Tidak ada perintah produksi {material} {work_center} yang sudah dirilis atau dimulai, jadi belum bisa dilaporkan. Kirim nomor pesanannya, mis. P20250401.",
        "en": "There is no released or started production order for {material} {work_center}, so this cannot be reported yet. Send the order number, e.g. P20250401.",
    },
    "report.pick_order": {
        "zh": "合格 {good}，报废 {scrap}：报到哪个生产订单？{material} {work_center}有 {count} 个进行中的订单，请点选：",
        "id": "Bagus {good}, cacat {scrap}: dilaporkan ke perintah produksi yang mana? Ada {count} pesanan berjalan untuk {material} {work_center}, pilih salah satu:",
        "en": "Good {good}, scrap {scrap}: which production order is this for? {count} running order(s) for {material} {work_center}; pick one:",
    },
    "report.pick_not_offered": {
        "zh": "{bill_no} 不在刚才列出的订单里（{offered}），没有报工。请点选其中一个，或发其中一个订单号。",
        "id": "{bill_no} tidak ada di daftar pesanan tadi ({offered}); belum ada yang dilaporkan. Pilih salah satu, atau kirim salah satu nomor itu.",
        "en": "{bill_no} is not one of the orders offered ({offered}); nothing was reported. Pick one of them, or send one of those numbers.",
    },
    "report.ask_figures": {
        "zh": "生产订单 {bill_no} 要报多少？请发合格数和报废数，例如“合格 120，报废 4”。",
        "id": "Berapa hasil untuk perintah {bill_no}? Kirim jumlah baik dan rusak, mis. \"120 bagus, 4 rusak\".",
        "en": "How much to report for order {bill_no}? Send the good and scrap pieces, e.g. \"120 good, 4 scrap\".",
    },
    "report.pick_first": {
        "zh": "还没有选订单，没有报工：请点选一个订单（{offered}），或发它的订单号。",
        "id": "Pesanannya belum dipilih, belum ada yang dilaporkan: pilih satu pesanan ({offered}) atau kirim nomornya.",
        "en": "No order picked yet, nothing was reported: pick one of the orders ({offered}) or send its number.",
    },
    "report.pick_payload": {
        "zh": "{bill_no} 合格 {good}，报废 {scrap}",
        "id": "{bill_no} bagus {good}, cacat {scrap}",
        "en": "{bill_no} good {good}, scrap {scrap}",
    },
    # --- planning (delay risk, rescheduling) ---------------------------------------------------
    "planning.full_stop": {"zh": "。", "id": ".", "en": "."},
    "planning.level_at_risk": {"zh": "有延期风险", "id": "berisiko terlambat", "en": "at risk"},
    "planning.level_late": {"zh": "将延期", "id": "akan terlambat", "en": "late"},
    "planning.level_on_track": {"zh": "进度正常", "id": "sesuai jadwal", "en": "on track"},
    "planning.option_due_date": {
        "zh": "把 {bill_no} 的交期从 {due} 改到 {new_due}，这是不动其他订单时最早能完工的日期",
        "id": "pindahkan tenggat {bill_no} dari {due} ke {new_due}, tanggal paling awal ia bisa selesai tanpa mengubah pesanan lain",
        "en": "move the due date of {bill_no} from {due} to {new_due}, the earliest it can finish without touching other orders",
    },
    "planning.option_move": {
        "zh": "把剩余的 {qty} 全部转到 {alternate} 生产（{start} 至 {end}），{bill_no} 在 {finish} 完工",
        "id": "pindahkan seluruh {qty} ke {alternate} ({start} sampai {end}); {bill_no} selesai {finish}",
        "en": "move all {qty} to {alternate} ({start} to {end}); {bill_no} finishes {finish}",
    },
    "planning.option_no_slip": {
        "zh": "其他订单都不受影响",
        "id": "tidak ada pesanan lain yang mundur",
        "en": "no other order slips",
    },
    "planning.option_on_due_date": {
        "zh": "按期完成（正好在交期当天）",
        "id": "tepat waktu (selesai di hari tenggat)",
        "en": "on time (it finishes on the due date)",
    },
    "planning.option_on_time": {
        "zh": "按期完成，还有 {days} 个工作日余量",
        "id": "tepat waktu, sisa {days} hari kerja",
        "en": "on time with {days} working days to spare",
    },
    "planning.option_on_time_one": {
        "zh": "按期完成，还有 1 个工作日余量",
        "id": "tepat waktu, sisa 1 hari kerja",
        "en": "on time with 1 working day to spare",
    },
    "planning.option_overtime": {
        "zh": "{work_center} 加班 {count} 天：{days}；{bill_no} 在 {finish} 完工",
        "id": "lembur di {work_center} selama {count} hari kerja: {days}; {bill_no} selesai {finish}",
        "en": "overtime on {work_center} on {count} working days: {days}; {bill_no} finishes {finish}",
    },
    "planning.option_overtime_one": {
        "zh": "{work_center} 加班 1 天：{days}；{bill_no} 在 {finish} 完工",
        "id": "lembur di {work_center} selama 1 hari kerja: {days}; {bill_no} selesai {finish}",
        "en": "overtime on {work_center} on 1 working day: {days}; {bill_no} finishes {finish}",
    },
    "planning.option_resequence": {
        "zh": "在 {work_center} 上优先生产 {bill_no}，{finish} 完工",
        "id": "dahulukan {bill_no} di {work_center}; selesai {finish}",
        "en": "run {bill_no} ahead of others on {work_center}; it finishes {finish}",
    },
    "planning.option_slip": {
        "zh": "{bill_no} 推迟 {days} 个工作日到 {finish}（交期 {due}，仍按期）",
        "id": "{bill_no} mundur {days} hari kerja ke {finish} (tenggat {due}, masih tepat waktu)",
        "en": "{bill_no} slips {days} working days to {finish} (due {due}, still on time)",
    },
    "planning.option_slip_late": {
        "zh": "{bill_no} 推迟 {days} 个工作日到 {finish}，晚于其交期 {due}",
        "id": "{bill_no} mundur {days} hari kerja ke {finish}, melewati tenggatnya {due}",
        "en": "{bill_no} slips {days} working days to {finish}, after its due date {due}",
    },
    "planning.option_slip_late_one": {
        "zh": "{bill_no} 推迟 1 个工作日到 {finish}，晚于其交期 {due}",
        "id": "{bill_no} mundur 1 hari kerja ke {finish}, melewati tenggatnya {due}",
        "en": "{bill_no} slips 1 working day to {finish}, after its due date {due}",
    },
    "planning.option_slip_one": {
        "zh": "{bill_no} 推迟 1 个工作日到 {finish}（交期 {due}，仍按期）",
        "id": "{bill_no} mundur 1 hari kerja ke {finish} (tenggat {due}, masih tepat waktu)",
        "en": "{bill_no} slips 1 working day to {finish} (due {due}, still on time)",
    },
    "planning.option_split": {
        "zh": "把剩余 {remaining} 中的 {qty} 拆到 {alternate} 作为新订单（{start} 至 {end}），{bill_no} 在 {finish} 完工",
        "id": "pisahkan {qty} dari sisa {remaining} ke {alternate} sebagai pesanan baru ({start} sampai {end}); {bill_no} selesai {finish}",
        "en": "split {qty} of the {remaining} left to {alternate} as a new order ({start} to {end}); {bill_no} finishes {finish}",
    },
    "planning.option_still_late": {
        "zh": "仍延误 {days} 个工作日",
        "id": "masih terlambat {days} hari kerja",
        "en": "still {days} working days late",
    },
    "planning.option_still_late_one": {
        "zh": "仍延误 1 个工作日",
        "id": "masih terlambat 1 hari kerja",
        "en": "still 1 working day late",
    },
    "planning.option_title": {"zh": "方案{number}", "id": "Opsi {number}", "en": "Option {number}"},
    "planning.plan_blocked": {
        "zh": "{bill_no} 缺料且没有到料日期，排产无法解决，请先解决缺料。",
        "id": "{bill_no} kekurangan bahan tanpa tanggal pasokan; jadwal ulang tidak bisa membantu sebelum bahan tersedia.",
        "en": "{bill_no} is short of a component with no supply date; no schedule helps until the shortage is solved.",
    },
    "planning.plan_no_option": {
        "zh": "在产能、日历和其他订单的约束下，找不到能让 {bill_no} 提前完工的方案。",
        "id": "Dengan kapasitas, kalender dan pesanan lain yang ada, tidak ada cara membuat {bill_no} selesai lebih awal.",
        "en": "Within the capacities, the calendar and the other orders, nothing brings {bill_no} in earlier.",
    },
    "planning.plan_not_at_risk": {
        "zh": "{bill_no} 进度正常，不需要调整排产。",
        "id": "{bill_no} sesuai jadwal; tidak perlu jadwal ulang.",
        "en": "{bill_no} is on track; it needs no reschedule.",
    },
    "planning.plan_not_open": {
        "zh": "{bill_no} 不是未完工的生产订单，无需排产。",
        "id": "{bill_no} bukan pesanan produksi yang masih terbuka; tidak ada yang perlu dijadwalkan.",
        "en": "{bill_no} is not an open production order; there is nothing to reschedule.",
    },
    "planning.projection_at_risk": {
        "zh": "但若慢 {pct}%，将在 {slow_finish} 完工，晚于交期",
        "id": "tetapi jika {pct}% lebih lambat akan selesai {slow_finish}, setelah tenggat",
        "en": "but {pct}% slower it would finish {slow_finish}, after the due date",
    },
    "planning.projection_beyond": {
        "zh": "按此速度 {horizon} 个工作日内无法完工；交期 {due}",
        "id": "dengan tempo ini tidak selesai dalam {horizon} hari kerja; tenggat {due}",
        "en": "at this pace it does not finish within {horizon} working days; due {due}",
    },
    "planning.projection_blocked": {
        "zh": "缺料解决前无法完工；交期 {due}",
        "id": "tidak bisa selesai sebelum kekurangan bahan teratasi; tenggat {due}",
        "en": "it cannot finish until the shortage is solved; due {due}",
    },
    "planning.projection_due_day": {
        "zh": "预计 {projected} 完工，刚好赶上交期 {due}，没有余量",
        "id": "perkiraan selesai {projected}, tepat memenuhi tenggat {due} tanpa sisa waktu",
        "en": "projected finish {projected}, which meets its due date {due} with no margin",
    },
    "planning.projection_late": {
        "zh": "预计 {projected} 完工，交期 {due}：延误 {days} 个工作日",
        "id": "perkiraan selesai {projected}, tenggat {due}: terlambat {days} hari kerja",
        "en": "projected finish {projected}, due {due}: {days} working days late",
    },
    "planning.projection_late_one": {
        "zh": "预计 {projected} 完工，交期 {due}：延误 1 个工作日",
        "id": "perkiraan selesai {projected}, tenggat {due}: terlambat 1 hari kerja",
        "en": "projected finish {projected}, due {due}: 1 working day late",
    },
    "planning.projection_on_time": {
        "zh": "预计 {projected} 完工，交期 {due}：还有 {days} 个工作日余量",
        "id": "perkiraan selesai {projected}, tenggat {due}: sisa waktu {days} hari kerja",
        "en": "projected finish {projected}, due {due}: {days} working days to spare",
    },
    "planning.projection_on_time_one": {
        "zh": "预计 {projected} 完工，交期 {due}：还有 1 个工作日余量",
        "id": "perkiraan selesai {projected}, tenggat {due}: sisa waktu 1 hari kerja",
        "en": "projected finish {projected}, due {due}: 1 working day to spare",
    },
    "planning.reason_needs": {
        "zh": "需日产 {needed}，共 {days} 个工作日",
        "id": "perlu {needed}/hari selama {days} hari kerja",
        "en": "it needs {needed}/day for {days} working days",
    },
    "planning.reason_needs_one": {
        "zh": "需在 1 个工作日内完成 {needed}",
        "id": "perlu {needed} dalam 1 hari kerja",
        "en": "it needs {needed} in 1 working day",
    },
    "planning.reason_not_started_center": {
        "zh": "尚未开工；{work_center} 近期订单达到计划节奏的 {pct}%，按此本单约日产 {rate}，最早 {start} 开工",
        "id": "belum mulai; pesanan terakhir di {work_center} berjalan {pct}% dari tempo rencananya, jadi sekitar {rate}/hari untuk pesanan ini, paling cepat mulai {start}",
        "en": "not started; recent orders on {work_center} ran at {pct}% of their planned pace, so about {rate}/day for this one, starting {start} at the earliest",
    },
    "planning.reason_not_started_material": {
        "zh": "尚未开工；{work_center} 上此前的 {material} 订单日产约 {rate}，最早 {start} 开工",
        "id": "belum mulai; pesanan {material} sebelumnya di {work_center} sekitar {rate}/hari, paling cepat mulai {start}",
        "en": "not started; earlier {material} orders on {work_center} made about {rate}/day, starting {start} at the earliest",
    },
    "planning.reason_not_started_plan": {
        "zh": "尚未开工；{work_center} 暂无可参考的记录，按计划日产 {rate} 估算，最早 {start} 开工",
        "id": "belum mulai; belum ada riwayat di {work_center}, jadi dihitung dengan tempo rencananya {rate}/hari, paling cepat mulai {start}",
        "en": "not started; {work_center} has no track record yet, so it is taken at its planned {rate}/day, starting {start} at the earliest",
    },
    "planning.reason_overdue": {
        "zh": "交期 {due} 已过，还差 {remaining}，目前日产约 {rate}",
        "id": "tenggat {due} sudah lewat dan masih kurang {remaining}, sekitar {rate}/hari",
        "en": "the due date {due} has passed with {remaining} still to make at about {rate}/day",
    },
    "planning.reason_pace": {
        "zh": "需日产 {needed}，剩 {days} 个工作日，目前日产约 {rate}",
        "id": "perlu {needed}/hari selama {days} hari kerja, saat ini sekitar {rate}/hari",
        "en": "needs {needed}/day for {days} working days, makes about {rate}/day",
    },
    "planning.reason_pace_one": {
        "zh": "最后 1 个工作日需完成 {needed}，目前日产约 {rate}",
        "id": "perlu {needed} di 1 hari kerja terakhirnya, saat ini sekitar {rate}/hari",
        "en": "needs {needed} in its last working day, makes about {rate}/day",
    },
    "planning.reason_queue": {
        "zh": "{work_center}（日产能 {capacity}）先给 {count} 个交期更早的订单（还需 {qty}），本单自 {start} 起约日产 {rate}",
        "id": "{work_center} ({capacity}/hari) mendahulukan {count} pesanan bertenggat lebih awal (sisa {qty}), jadi pesanan ini dapat sekitar {rate}/hari mulai {start}",
        "en": "{work_center} ({capacity}/day) goes first to {count} earlier-due orders with {qty} to make, so this one gets about {rate}/day from {start}",
    },
    "planning.reason_shortage_open": {
        "zh": "缺料 {component}：库存只够再做 {coverable}，且没有到料日期",
        "id": "kekurangan {component}: stok hanya cukup untuk {coverable} lagi dan belum ada tanggal pasokan",
        "en": "short of {component}: stock covers only {coverable} more and no supply date is known",
    },
    "planning.reason_shortage_until": {
        "zh": "缺料 {component}：{available} 前库存只够再做 {coverable}",
        "id": "kekurangan {component}: sampai {available} stok hanya cukup untuk {coverable} lagi",
        "en": "short of {component}: until {available} stock covers only {coverable} more",
    },
    "planning.separator": {"zh": "；", "id": "; ", "en": "; "},
    # --- new orders through DingTalk OA approval (issue 14; ordering/oa_approvals.py) ---------
    "workflow.order_submitted": {
        "zh": "生产订单 {bill_no} 已在 K/3 保存并提交（审核中），尚未审核：{material_code} {material_name}，{qty} {unit}，计划完工 {plan_finish}，车间 {work_center}。已发起钉钉审批，审批人：{approvers}；批准后自动审核并通知生产群。",
        "id": "Perintah produksi {bill_no} disimpan dan diajukan di K/3 (dalam persetujuan), belum diaudit: {material_code} {material_name}, {qty} {unit}, selesai {plan_finish}, pusat kerja {work_center}. Persetujuan DingTalk sudah dimulai, penyetuju: {approvers}; setelah disetujui, pesanan diaudit otomatis dan grup produksi diberi tahu.",
        "en": "Production order {bill_no} was saved and submitted in K/3 (in approval), not audited yet: {material_code} {material_name}, {qty} {unit}, finish {plan_finish}, work center {work_center}. A DingTalk approval was started, approver: {approvers}; once approved it is audited automatically and the production group is told.",
    },
    "workflow.order_submitted_retrying": {
        "zh": "生产订单 {bill_no} 已在 K/3 保存并提交（审核中），尚未审核。钉钉审批暂时无法发起，系统会自动重试，发起后会通知您。",
        "id": "Perintah produksi {bill_no} disimpan dan diajukan di K/3 (dalam persetujuan), belum diaudit. Persetujuan DingTalk belum bisa dimulai; sistem mencoba lagi otomatis dan memberi tahu Anda.",
        "en": "Production order {bill_no} was saved and submitted in K/3 (in approval), not audited yet. The DingTalk approval could not be started just now; it is retried automatically and you will be told.",
    },
    "workflow.order_created_exempt": {
        "zh": "已在 K/3 创建并审核生产订单 {bill_no}：{material_code} {material_name}，{qty} {unit}，计划完工 {plan_finish}，车间 {work_center}。数量不超过 {exempt_max_qty} 且无风险，按审批规则免审批，已直接审核。",
        "id": "Perintah produksi {bill_no} dibuat dan diaudit di K/3: {material_code} {material_name}, {qty} {unit}, selesai {plan_finish}, pusat kerja {work_center}. Jumlahnya paling banyak {exempt_max_qty} dan tanpa risiko, jadi menurut aturan persetujuan tidak perlu disetujui dan langsung diaudit.",
        "en": "Production order {bill_no} was created and audited in K/3: {material_code} {material_name}, {qty} {unit}, finish {plan_finish}, work center {work_center}. It is at most {exempt_max_qty} pieces with no risk, so the approval rule exempts it: audited at once.",
    },
    "oa.escalated": {
        "zh": "您是唯一的经理，按审批升级规则交由 {approvers} 审批（四眼原则）。",
        "id": "Anda satu-satunya manajer, jadi menurut aturan eskalasi persetujuan diteruskan ke {approvers} (prinsip empat mata).",
        "en": "You are the only manager, so by the escalation rule the approval goes to {approvers} (four-eyes).",
    },
    "oa.nobody_to_ask": {
        "zh": "目录里没有可以审批的人（四眼原则：申请人不能审批自己的申请），请联系管理员。",
        "id": "Tidak ada penyetuju di direktori (prinsip empat mata: pemohon tidak boleh menyetujui permintaannya sendiri); hubungi admin.",
        "en": "Nobody in the directory can approve this (four-eyes: a requester never approves their own request); please contact the administrator.",
    },
    "oa.card_title": {
        "zh": "审批中：生产订单 {bill_no}",
        "id": "Dalam persetujuan: perintah {bill_no}",
        "en": "In approval: order {bill_no}",
    },
    "oa.card_text": {
        "zh": "{requester} 的生产订单 {bill_no}（{material_code} {material_name}，{qty} {unit}，计划完工 {plan_finish}）已提交钉钉审批，审批人：{approvers}。",
        "id": "Perintah produksi {bill_no} dari {requester} ({material_code} {material_name}, {qty} {unit}, selesai {plan_finish}) sudah diajukan ke persetujuan DingTalk, penyetuju: {approvers}.",
        "en": "{requester}'s production order {bill_no} ({material_code} {material_name}, {qty} {unit}, finish {plan_finish}) is in DingTalk approval, approver: {approvers}.",
    },
    "oa.change_card_text": {
        "zh": "{requester} 的变更申请 {ref}（生产订单 {bill_no}，{material_code} {material_name}）已提交钉钉审批，审批人：{approvers}。",
        "id": "Permintaan perubahan {ref} dari {requester} (perintah {bill_no}, {material_code} {material_name}) sudah diajukan ke persetujuan DingTalk, penyetuju: {approvers}.",
        "en": "{requester}'s change request {ref} (order {bill_no}, {material_code} {material_name}) is in DingTalk approval, approver: {approvers}.",
    },
    "oa.card_button": {"zh": "查看审批", "id": "Lihat persetujuan", "en": "View approval"},
    "oa.requester_agreed": {
        "zh": "{approver} 已同意生产订单 {bill_no}（{material_code} {material_name}，{qty} {unit}），K/3 已审核。{remark}",
        "id": "{approver} menyetujui perintah produksi {bill_no} ({material_code} {material_name}, {qty} {unit}); sudah diaudit di K/3. {remark}",
        "en": "{approver} approved production order {bill_no} ({material_code} {material_name}, {qty} {unit}); it is audited in K/3. {remark}",
    },
    "oa.requester_agreed_released": {
        "zh": "{approver} 已同意生产订单 {bill_no}（{material_code} {material_name}，{qty} {unit}），K/3 已审核并下达车间。{remark}",
        "id": "{approver} menyetujui perintah produksi {bill_no} ({material_code} {material_name}, {qty} {unit}); sudah diaudit dan dirilis ke lantai produksi di K/3. {remark}",
        "en": "{approver} approved production order {bill_no} ({material_code} {material_name}, {qty} {unit}); it is audited and released to the shop floor in K/3. {remark}",
    },
    "oa.production_new_order": {
        "zh": "新生产订单 {bill_no}：{material_code} {material_name}，{qty} {unit}，计划 {plan_start} 至 {plan_finish}，车间 {work_center} {work_center_name}，{approver} 审批同意。",
        "id": "Perintah produksi baru {bill_no}: {material_code} {material_name}, {qty} {unit}, rencana {plan_start} s/d {plan_finish}, pusat kerja {work_center} {work_center_name}, disetujui {approver}.",
        "en": "New production order {bill_no}: {material_code} {material_name}, {qty} {unit}, planned {plan_start} to {plan_finish}, work center {work_center} {work_center_name}, approved by {approver}.",
    },
    "oa.requester_refused": {
        "zh": "{approver} 拒绝了生产订单 {bill_no}（{material_code} {material_name}，{qty} {unit}）的审批。原因：{remark}。订单已在 K/3 撤销并删除，没有下达。",
        "id": "{approver} menolak persetujuan perintah produksi {bill_no} ({material_code} {material_name}, {qty} {unit}). Alasan: {remark}. Pesanan ditarik dan dihapus di K/3, tidak dirilis.",
        "en": "{approver} refused the approval of production order {bill_no} ({material_code} {material_name}, {qty} {unit}). Reason: {remark}. The order was withdrawn and deleted in K/3; nothing was released.",
    },
    "oa.requester_terminated": {
        "zh": "生产订单 {bill_no}（{material_code} {material_name}）的审批已由 {who} 撤销（{remark}）。订单已在 K/3 撤销并删除。",
        "id": "Persetujuan perintah produksi {bill_no} ({material_code} {material_name}) dibatalkan oleh {who} ({remark}). Pesanan ditarik dan dihapus di K/3.",
        "en": "The approval of production order {bill_no} ({material_code} {material_name}) was withdrawn by {who} ({remark}). The order was withdrawn and deleted in K/3.",
    },
    "oa.requester_expired": {
        "zh": "生产订单 {bill_no}（{material_code} {material_name}）的审批 {hours} 小时内无人处理，已在钉钉终止。订单已在 K/3 撤销并删除，如仍需要请重新创建。",
        "id": "Persetujuan perintah produksi {bill_no} ({material_code} {material_name}) tidak diputuskan dalam {hours} jam dan dihentikan di DingTalk. Pesanan ditarik dan dihapus di K/3; buat lagi bila masih perlu.",
        "en": "Nobody decided the approval of production order {bill_no} ({material_code} {material_name}) within {hours} hours; it was terminated in DingTalk. The order was withdrawn and deleted in K/3; create it again if it is still needed.",
    },
    "oa.requester_failed": {
        "zh": "生产订单 {bill_no} 的审批结果已收到，但 K/3 未能完成后续操作（字段 {field}），订单保持审核中。请联系 PMC 处理。",
        "id": "Hasil persetujuan perintah {bill_no} sudah diterima, tetapi K/3 menolak langkah berikutnya (kolom {field}); pesanan tetap dalam persetujuan. Hubungi PMC.",
        "en": "The approval result for order {bill_no} arrived, but K/3 refused the next step (field {field}); the order stays in approval. Please contact PMC.",
    },
    "oa.reminder": {
        "zh": "提醒：{requester} 的{subject} {ref} 等待您在钉钉审批已 {hours} 小时。",
        "id": "Pengingat: {subject} {ref} dari {requester} menunggu persetujuan Anda di DingTalk selama {hours} jam.",
        "en": "Reminder: {requester}'s {subject} {ref} has waited {hours} hours for your approval in DingTalk.",
    },
    "oa.subject_order": {"zh": "生产订单", "id": "perintah produksi", "en": "production order"},
    "oa.subject_change": {"zh": "变更申请", "id": "permintaan perubahan", "en": "change request"},
    "oa.no_remark": {"zh": "未填写", "id": "tidak diisi", "en": "none given"},
    "oa.expired_remark": {
        "zh": "超过 {hours} 小时无人审批，系统自动终止",
        "id": "tidak diputuskan dalam {hours} jam, dihentikan otomatis",
        "en": "not decided within {hours} hours, terminated automatically",
    },
    "approval.group_card_intro": {
        "zh": "{requester} 申请修改生产订单 {bill_no}（{material_code} {material_name}，{ref}），已发给 {managers} 审批：",
        "id": "{requester} meminta perubahan perintah produksi {bill_no} ({material_code} {material_name}, {ref}); dikirim ke {managers} untuk disetujui:",
        "en": "{requester} asks to change production order {bill_no} ({material_code} {material_name}, {ref}); sent to {managers} for approval:",
    },
    "approval.card_decided": {
        "zh": "{approver} {decision}（{decided_at}）",
        "id": "Sudah {decision} oleh {approver} ({decided_at})",
        "en": "{approver}: {decision} ({decided_at})",
    },
    "approval.no_approver": {"zh": "经理", "id": "manajer", "en": "the managers"},
    "oa.no_risk": {"zh": "无风险项", "id": "tidak ada risiko", "en": "no risk found"},
    # --- risk (delay-risk chat, warnings, accepting an option) ---------------------------------
    "risk.accept_found": {
        "zh": "找到 {bill_no} 的方案{number}。",
        "id": "Opsi {number} untuk {bill_no} ditemukan.",
        "en": "Found option {number} for {bill_no}.",
    },
    "risk.accept_hint": {
        "zh": "回复「采用方案N」申请其中一个：先给你看变更前后，确认后才写入 K/3。",
        "id": "Balas \"pakai opsi N\" untuk mengajukan salah satunya: perubahan lama → baru ditunjukkan dulu, K/3 baru ditulis setelah dikonfirmasi.",
        "en": "Reply \"take option N\" to request one: you see old → new first, and K/3 is written only after you confirm.",
    },
    "risk.accept_no_such_option": {
        "zh": "{bill_no} 只有 {count} 个方案，没有方案{number}。",
        "id": "{bill_no} hanya punya {count} opsi, tidak ada opsi {number}.",
        "en": "{bill_no} has only {count} options; there is no option {number}.",
    },
    "risk.accept_nothing_shown": {
        "zh": "这个对话里还没有排产建议。请先发「给 P20250401 排产建议」（换成你的订单号）。",
        "id": "Belum ada saran jadwal di percakapan ini. Kirim dulu \"saran jadwal ulang P20250401\" (pakai nomor order Anda).",
        "en": "No rescheduling options were shown in this conversation yet. Send \"suggest a reschedule for P20250401\" (with your order number) first.",
    },
    "risk.accept_overtime": {
        "zh": "方案{number}是 {work_center} 加班（{days}），K/3 里的订单不用改，所以不写入 K/3。请按这个安排加班，加班审批按工厂流程走。",
        "id": "Opsi {number} adalah lembur di {work_center} ({days}); order di K/3 tidak berubah, jadi tidak ada yang ditulis ke K/3. Atur lemburnya sesuai rencana ini lewat prosedur pabrik.",
        "en": "Option {number} is overtime on {work_center} ({days}); no order changes in K/3, so nothing is written to K/3. Arrange the overtime as planned through the factory's own approval.",
    },
    "risk.accept_resequence": {
        "zh": "方案{number}要调整 {count} 个订单的计划（{steps}），请逐个发变更，每个都会先确认再写入 K/3。",
        "id": "Opsi {number} mengubah rencana {count} order ({steps}); kirim perubahannya satu per satu, masing-masing dikonfirmasi dulu sebelum ditulis ke K/3.",
        "en": "Option {number} re-plans {count} orders ({steps}); send the changes one by one, each is confirmed before K/3 is written.",
    },
    "risk.accept_split_next": {
        "zh": "第二步（确认数量后）：在 {work_center} 新建 {material} {qty} 个、交期 {finish} 的订单，发「新建订单 {material} {qty}个 {finish} {work_center}」。",
        "id": "Langkah kedua (setelah jumlah dikonfirmasi): buat order baru {material} {qty} pcs di {work_center}, jatuh tempo {finish}: kirim \"buat order {material} {qty} pcs {finish} {work_center}\".",
        "en": "Step two (after confirming the quantity): a new order of {qty} {material} on {work_center}, due {finish}: send \"create order {material} {qty} pcs due {finish} on {work_center}\".",
    },
    "risk.accept_stale": {
        "zh": "{bill_no} 的方案是之前算的，情况可能已变。请重新发「给 {bill_no} 排产建议」。",
        "id": "Opsi untuk {bill_no} dihitung sebelumnya dan keadaan mungkin sudah berubah. Kirim lagi \"saran jadwal ulang {bill_no}\".",
        "en": "The options for {bill_no} were computed earlier and things may have changed. Send \"suggest a reschedule for {bill_no}\" again.",
    },
    "risk.accept_which": {
        "zh": "要采用哪个方案？例如「采用方案1」。",
        "id": "Opsi yang mana? Misalnya \"pakai opsi 1\".",
        "en": "Which option? For example \"take option 1\".",
    },
    "risk.digest": {
        "zh": "📋 {day} 延期风险日报：{count} 个订单需要关注（{late} 个将延期，{at_risk} 个有风险；在制共 {open} 个）。",
        "id": "📋 Ringkasan risiko keterlambatan {day}: {count} order perlu perhatian ({late} akan terlambat, {at_risk} berisiko; {open} order berjalan).",
        "en": "📋 Delay-risk digest {day}: {count} orders need attention ({late} late, {at_risk} at risk; {open} open).",
    },
    "risk.digest_none": {
        "zh": "📋 {day} 延期风险日报：在制的 {open} 个订单都能按期完成。",
        "id": "📋 Ringkasan risiko keterlambatan {day}: ke-{open} order berjalan sesuai jadwal.",
        "en": "📋 Delay-risk digest {day}: all {open} open orders are on track.",
    },
    "risk.list": {
        "zh": "{count} 个订单需要关注（{late} 个将延期，{at_risk} 个有风险；在制共 {open} 个）：",
        "id": "{count} order perlu perhatian ({late} akan terlambat, {at_risk} berisiko; {open} order berjalan):",
        "en": "{count} orders need attention ({late} late, {at_risk} at risk; {open} open):",
    },
    "risk.list_line": {
        "zh": "• {bill_no}（{work_center}）{level}：{reason}",
        "id": "• {bill_no} ({work_center}) {level}: {reason}",
        "en": "• {bill_no} ({work_center}) {level}: {reason}",
    },
    "risk.list_none": {
        "zh": "在制的 {open} 个订单都能按期完成，没有延期风险。",
        "id": "Ke-{open} order yang berjalan sesuai jadwal; tidak ada risiko terlambat.",
        "en": "All {open} open orders are on track; none is at risk of being late.",
    },
    "risk.option_line": {
        "zh": "方案{number}：{text}",
        "id": "Opsi {number}: {text}",
        "en": "Option {number}: {text}",
    },
    "risk.order_at_risk": {
        "zh": "{bill_no}（{work_center}）{level}：{reason}",
        "id": "{bill_no} ({work_center}) {level}: {reason}",
        "en": "{bill_no} ({work_center}) is {level}: {reason}",
    },
    "risk.order_late": {
        "zh": "{bill_no}（{work_center}）{level}：{reason}",
        "id": "{bill_no} ({work_center}) {level}: {reason}",
        "en": "{bill_no} ({work_center}) is {level}: {reason}",
    },
    "risk.order_on_track": {
        "zh": "{bill_no}（{work_center}）{level}：{reason}",
        "id": "{bill_no} ({work_center}) {level}: {reason}",
        "en": "{bill_no} ({work_center}) is {level}: {reason}",
    },
    "risk.recovered": {
        "zh": "✅ {bill_no}（{work_center}）恢复{level}：{reason}",
        "id": "✅ {bill_no} ({work_center}) kembali {level}: {reason}",
        "en": "✅ {bill_no} ({work_center}) is back {level}: {reason}",
    },
    "risk.suggest_hint": {
        "zh": "要看排产建议，发「给 {bill_no} 排产建议」。",
        "id": "Untuk saran jadwal, kirim \"saran jadwal ulang {bill_no}\".",
        "en": "For rescheduling options, send \"suggest a reschedule for {bill_no}\".",
    },
    "risk.suggestions": {
        "zh": "{bill_no}（{work_center}）{level}：{reason} 排产求解器给出 {count} 个方案：",
        "id": "{bill_no} ({work_center}) {level}: {reason} Penjadwal memberi {count} opsi:",
        "en": "{bill_no} ({work_center}) is {level}: {reason} The scheduler found {count} options:",
    },
    "risk.warning": {
        "zh": "⚠️ 延期预警：{bill_no}（{work_center}）{level}：{reason}",
        "id": "⚠️ Peringatan keterlambatan: {bill_no} ({work_center}) {level}: {reason}",
        "en": "⚠️ Delay warning: {bill_no} ({work_center}) is {level}: {reason}",
    },
    "risk.warning_more": {
        "zh": "发「给 {bill_no} 排产建议」查看全部 {count} 个方案并采用。",
        "id": "Kirim \"saran jadwal ulang {bill_no}\" untuk melihat ke-{count} opsi dan memakainya.",
        "en": "Send \"suggest a reschedule for {bill_no}\" to see all {count} options and take one.",
    },
    "risk.warning_suggestion": {
        "zh": "建议：{text}",
        "id": "Saran: {text}",
        "en": "Suggestion: {text}",
    },
    # --- list (lists people ask for: approvals waiting, my requests, orders due, several orders) --
    "list.approvals_header": {
        "zh": "有 {count} 个变更申请在等您审批（回复“{example}”或“驳回 … 原因”）：",
        "id": "Ada {count} permintaan perubahan yang menunggu persetujuan Anda (balas \"{example}\" atau \"tolak … alasan\"):",
        "en": "{count} change request(s) are waiting for your approval (reply \"{example}\" or \"reject … reason\"):",
    },
    "list.approvals_none": {
        "zh": "目前没有等您审批的变更申请。",
        "id": "Saat ini tidak ada permintaan perubahan yang menunggu persetujuan Anda.",
        "en": "No change requests are waiting for your approval right now.",
    },
    "list.delete_finished": {
        "zh": "生产订单 {bill_no} 已是“{status}”状态（合格 {good}，报废 {scrap}），不能删除，也不能再修改。",
        "id": "Perintah produksi {bill_no} sudah berstatus \"{status}\" (bagus {good}, cacat {scrap}); tidak bisa dihapus atau diubah lagi.",
        "en": "Production order {bill_no} is already {status} (good {good}, scrap {scrap}); it can no longer be deleted or changed.",
    },
    "list.delete_not_released": {
        "zh": "我不能在聊天里删除生产订单。{bill_no} 目前是“{status}”状态、尚未下达：可以在这里改数量、完工日期或车间（例如“{bill_no} 数量改成 100”），删除请由计划员在 K/3 中操作。",
        "id": "Saya tidak bisa menghapus perintah produksi dari chat. {bill_no} berstatus \"{status}\" dan belum dirilis: di sini Anda bisa mengubah jumlah, tanggal selesai, atau pusat kerjanya (mis. \"{bill_no} ubah jumlah jadi 100\"); penghapusan dilakukan perencana di K/3.",
        "en": "I can't delete production orders from chat. {bill_no} is {status} and not released yet: here you can change its quantity, finish date or work center (e.g. \"change {bill_no} qty to 100\"); deleting it is done by a planner in K/3.",
    },
    "list.delete_released": {
        "zh": "生产订单 {bill_no} 已是“{status}”状态（已汇报合格 {good}，报废 {scrap}），K/3 不允许删除已下达的订单。可以在这里改数量、完工日期或车间；不再生产的订单请计划员在 K/3 中结案。",
        "id": "Perintah produksi {bill_no} sudah berstatus \"{status}\" (dilaporkan bagus {good}, cacat {scrap}); K/3 tidak mengizinkan menghapus pesanan yang sudah dirilis. Di sini Anda bisa mengubah jumlah, tanggal selesai, atau pusat kerjanya; pesanan yang tidak dilanjutkan ditutup perencana di K/3.",
        "en": "Production order {bill_no} is {status} (reported good {good}, scrap {scrap}); K/3 does not delete an order once it is released. Here you can change its quantity, finish date or work center; an order that will not be made is closed by a planner in K/3.",
    },
    "list.delete_which": {
        "zh": "要处理哪个生产订单？请发订单号，例如 MO000124。注意：我不能删除订单，只能查看或修改。",
        "id": "Pesanan produksi yang mana? Kirim nomornya, mis. MO000124. Catatan: saya tidak bisa menghapus pesanan, hanya melihat atau mengubahnya.",
        "en": "Which production order? Send its number, e.g. MO000124. Note: I can't delete orders, only show or change them.",
    },
    "list.due_header": {
        "zh": "{period}（{start} 至 {end}，还剩 {working_days} 个工作日）要完工的未完成订单共 {count} 个：",
        "id": "{count} pesanan yang belum selesai jatuh tempo {period} ({start} s.d. {end}, sisa {working_days} hari kerja):",
        "en": "{count} open order(s) due {period} ({start} to {end}, {working_days} working day(s) left):",
    },
    "list.due_none": {
        "zh": "{period}没有要完工的未完成订单。",
        "id": "Tidak ada pesanan terbuka yang jatuh tempo {period}.",
        "en": "No open orders are due {period}.",
    },
    "list.late_header": {
        "zh": "已过计划完工日期但还未完工的订单共 {count} 个（截至 {end}）：",
        "id": "{count} pesanan sudah lewat tanggal selesai rencana tetapi belum selesai (sampai {end}):",
        "en": "{count} order(s) are past their plan finish date and not finished (due by {end}):",
    },
    "list.late_none": {
        "zh": "没有逾期未完工的订单。",
        "id": "Tidak ada pesanan yang terlambat.",
        "en": "No orders are late.",
    },
    "list.more": {
        "zh": "……另有 {count} 个未列出。",
        "id": "… dan {count} lagi tidak ditampilkan.",
        "en": "… and {count} more not shown.",
    },
    "list.order_line": {
        "zh": "- {bill_no} {material}（{code}）：{good}/{qty} {unit}（{percent}%），计划完工 {plan_finish}，{status}，{work_center}",
        "id": "- {bill_no} {material} ({code}): {good}/{qty} {unit} ({percent}%), selesai rencana {plan_finish}, {status}, {work_center}",
        "en": "- {bill_no} {material} ({code}): {good}/{qty} {unit} ({percent}%), plan finish {plan_finish}, {status}, {work_center}",
    },
    "list.order_line_late": {
        "zh": "- {bill_no} {material}（{code}）：{good}/{qty} {unit}（{percent}%），计划完工 {plan_finish}（已逾期 {days_late} 天），{status}，{work_center}",
        "id": "- {bill_no} {material} ({code}): {good}/{qty} {unit} ({percent}%), selesai rencana {plan_finish} (terlambat {days_late} hari), {status}, {work_center}",
        "en": "- {bill_no} {material} ({code}): {good}/{qty} {unit} ({percent}%), plan finish {plan_finish} ({days_late} day(s) late), {status}, {work_center}",
    },
    "list.orders_header": {
        "zh": "{count} 个生产订单的进度：",
        "id": "Kemajuan {count} perintah produksi:",
        "en": "Progress of {count} production orders:",
    },
    "list.period_late": {"zh": "逾期", "id": "terlambat", "en": "late"},
    "list.period_next_week": {"zh": "下周", "id": "minggu depan", "en": "next week"},
    "list.period_this_week": {"zh": "本周", "id": "minggu ini", "en": "this week"},
    "list.period_today": {"zh": "今天", "id": "hari ini", "en": "today"},
    "list.period_tomorrow": {"zh": "明天", "id": "besok", "en": "tomorrow"},
    "list.request_line": {
        "zh": "- {ref}：生产订单 {bill_no}（{material_code}），{state}",
        "id": "- {ref}: perintah {bill_no} ({material_code}), {state}",
        "en": "- {ref}: order {bill_no} ({material_code}), {state}",
    },
    "list.requests_header": {
        "zh": "您有 {count} 个未结束的变更申请：",
        "id": "Anda punya {count} permintaan perubahan yang belum selesai:",
        "en": "You have {count} open change request(s):",
    },
    "list.requests_none": {
        "zh": "您目前没有未结束的变更申请。",
        "id": "Anda tidak punya permintaan perubahan yang masih terbuka.",
        "en": "You have no open change requests.",
    },
    # --- nlu / help ---------------------------------------------------------------------------
    # --- confirmations, undo, amend (issue 13: every write confirmed, exactly as shown, undoable) ---
    "dialog.stale_confirmation": {
        "zh": "这个按钮属于之前的一份确认单，已被新的确认单取代，没有写入任何内容。请按最新确认单上的按钮。",
        "id": "Tombol itu milik ringkasan sebelumnya yang sudah diganti; tidak ada yang ditulis. Tekan tombol di ringkasan terbaru.",
        "en": "That button belongs to an earlier summary that has been replaced; nothing was written. Use the buttons of the latest summary.",
    },
    "report.already_voided": {
        "zh": "生产订单 {bill_no} 的汇报单 {report_no} 已经作废。",
        "id": "Laporan {report_no} untuk perintah {bill_no} sudah dibatalkan.",
        "en": "Report {report_no} of order {bill_no} has already been voided.",
    },
    "report.confirm_correction": {
        "zh": "请确认更正生产订单 {bill_no}（{material_code} {material_name}）的报工：合格 {old_good} → {good}，报废 {old_scrap} → {scrap}（替换汇报单 {old_report_no}）。更正后累计合格 {total_good}，报废 {total_scrap}，共 {total}/{qty} {unit}，完成 {pct}%。确认吗？",
        "id": "Konfirmasi koreksi laporan perintah {bill_no} ({material_code} {material_name}): baik {old_good} → {good}, scrap {old_scrap} → {scrap} (mengganti laporan {old_report_no}). Setelahnya total baik {total_good}, scrap {total_scrap}, jumlah {total}/{qty} {unit}, selesai {pct}%. Lanjut?",
        "en": "Please confirm the correction for order {bill_no} ({material_code} {material_name}): good {old_good} → {good}, scrap {old_scrap} → {scrap} (replacing report {old_report_no}). Afterwards: {total_good} good, {total_scrap} scrap, {total}/{qty} {unit}, {pct}% complete. Confirm?",
    },
    "report.confirm_summary": {
        "zh": "请确认报工：生产订单 {bill_no}（{material_code} {material_name}），合格 {good}，报废 {scrap}。报工后累计合格 {total_good}，报废 {total_scrap}，共 {total}/{qty} {unit}，完成 {pct}%。确认提交到 K/3 吗？",
        "id": "Konfirmasi laporan: perintah {bill_no} ({material_code} {material_name}), baik {good}, scrap {scrap}. Setelahnya total baik {total_good}, scrap {total_scrap}, jumlah {total}/{qty} {unit}, selesai {pct}%. Kirim ke K/3?",
        "en": "Please confirm the output report: order {bill_no} ({material_code} {material_name}), {good} good, {scrap} scrap. Afterwards: {total_good} good, {total_scrap} scrap, {total}/{qty} {unit}, {pct}% complete. Send it to K/3?",
    },
    "report.confirm_void": {
        "zh": "请确认作废你的上一条报工：生产订单 {bill_no}（{material_code} {material_name}），汇报单 {report_no}，合格 {good}，报废 {scrap}。作废后累计合格 {total_good}，报废 {total_scrap}，共 {total}/{qty} {unit}，完成 {pct}%。确认作废吗？",
        "id": "Konfirmasi pembatalan laporan terakhir Anda: perintah {bill_no} ({material_code} {material_name}), laporan {report_no}, baik {good}, scrap {scrap}. Setelahnya total baik {total_good}, scrap {total_scrap}, jumlah {total}/{qty} {unit}, selesai {pct}%. Batalkan laporan ini?",
        "en": "Please confirm voiding your last report: order {bill_no} ({material_code} {material_name}), report {report_no}, {good} good, {scrap} scrap. Afterwards: {total_good} good, {total_scrap} scrap, {total}/{qty} {unit}, {pct}% complete. Void it?",
    },
    "report.proposal_cancelled": {
        "zh": "好的，生产订单 {bill_no} 的这次报工已取消，没有写入 K/3。",
        "id": "Baik, laporan untuk perintah {bill_no} dibatalkan; tidak ada yang ditulis ke K/3.",
        "en": "OK, the report for order {bill_no} is cancelled; nothing was written to K/3.",
    },
    "report.proposal_not_yours": {
        "zh": "这份报工确认单不是你发起的，只有报工人本人可以确认。",
        "id": "Ringkasan laporan ini bukan milik Anda; hanya pelapornya yang bisa mengonfirmasi.",
        "en": "This report summary is not yours; only the person who reported can confirm it.",
    },
    "report.proposal_stale": {
        "zh": "这份报工确认单已被新的确认单取代或已失效，没有写入任何内容。",
        "id": "Ringkasan laporan ini sudah diganti atau tidak berlaku lagi; tidak ada yang ditulis.",
        "en": "This report summary was replaced or is no longer valid; nothing was written.",
    },
    "report.void_kept": {
        "zh": "好的，报工保持不变，没有作废。",
        "id": "Baik, laporannya tetap; tidak dibatalkan.",
        "en": "OK, the report stays as it is; nothing was voided.",
    },
    "report.voided": {
        "zh": "已在 K/3 作废生产订单 {bill_no}（{material_code} {material_name}）的汇报单 {report_no}（合格 {good}，报废 {scrap}）。",
        "id": "Laporan {report_no} untuk perintah {bill_no} ({material_code} {material_name}) sudah dibatalkan di K/3 (baik {good}, scrap {scrap}).",
        "en": "Voided report {report_no} of order {bill_no} ({material_code} {material_name}) in K/3 ({good} good, {scrap} scrap).",
    },
    "workflow.already_withdrawn": {
        "zh": "生产订单 {bill_no} 已经撤销，K/3 中已没有这张单。",
        "id": "Perintah {bill_no} sudah ditarik; K/3 tidak lagi memilikinya.",
        "en": "Order {bill_no} has already been withdrawn; K/3 no longer has it.",
    },
    "workflow.delta_not_positive": {
        "zh": "生产订单 {bill_no} 现在数量是 {old}，变动 {delta} 后不大于 0，没有修改。请写新的数量，例如“改成 100”。",
        "id": "Perintah {bill_no} sekarang berjumlah {old}; setelah perubahan {delta} hasilnya tidak di atas 0, jadi tidak diubah. Tulis jumlah baru, mis. \"jadi 100\".",
        "en": "Order {bill_no} has {old} now; changing it by {delta} leaves nothing, so nothing was changed. Write the new quantity, e.g. \"to 100\".",
    },
    "workflow.withdraw_k3_refused": {
        "zh": "K/3 不允许删除生产订单 {bill_no}，订单保持不变。请联系计划员在 K/3 中处理。",
        "id": "K/3 tidak mengizinkan perintah {bill_no} dihapus; perintah tetap ada. Minta planner menanganinya di K/3.",
        "en": "K/3 does not allow deleting order {bill_no}; it stays as it is. Ask a planner to handle it in K/3.",
    },
    "workflow.withdraw_kept": {
        "zh": "好的，生产订单 {bill_no} 保留，没有撤销。",
        "id": "Baik, perintah {bill_no} tetap ada; tidak ditarik.",
        "en": "OK, order {bill_no} stays; it was not withdrawn.",
    },
    "workflow.withdraw_not_from_chat": {
        "zh": "生产订单 {bill_no} 不是在这里开的单，不能在聊天中撤销。请联系计划员在 K/3 中处理。",
        "id": "Perintah {bill_no} tidak dibuat di sini, jadi tidak bisa ditarik lewat chat. Minta planner menanganinya di K/3.",
        "en": "Order {bill_no} was not created here, so it cannot be withdrawn in chat. Ask a planner to handle it in K/3.",
    },
    "workflow.withdraw_not_yours": {
        "zh": "生产订单 {bill_no} 不是你开的单，只有开单人可以撤销。",
        "id": "Perintah {bill_no} bukan dibuat oleh Anda; hanya pembuatnya yang bisa menariknya.",
        "en": "Order {bill_no} was created by someone else; only its requester can withdraw it.",
    },
    "workflow.withdraw_released": {
        "zh": "生产订单 {bill_no} 已{status_name}（或已有报工），K/3 不允许删除已下达的订单，所以不能撤销。如需停止，请联系计划员在 K/3 中反下达或结案。",
        "id": "Perintah {bill_no} sudah berstatus {status_name} (atau sudah ada laporan); K/3 tidak mengizinkan perintah yang sudah dirilis dihapus, jadi tidak bisa ditarik. Untuk menghentikannya, minta planner membatalkan rilis atau menutupnya di K/3.",
        "en": "Order {bill_no} is already {status_name} (or has reports); K/3 does not allow deleting a released order, so it cannot be withdrawn. To stop it, ask a planner to undo the release or close it in K/3.",
    },
    "workflow.withdraw_summary": {
        "zh": "请确认撤销生产订单 {bill_no}（{material_code} {material_name}，数量 {qty} {unit}，状态 {status_name}）：K/3 将反审核并删除这张单。确认撤销吗？",
        "id": "Konfirmasi penarikan perintah {bill_no} ({material_code} {material_name}, jumlah {qty} {unit}, status {status_name}): K/3 akan membatalkan audit dan menghapusnya. Tarik perintah ini?",
        "en": "Please confirm withdrawing order {bill_no} ({material_code} {material_name}, {qty} {unit}, {status_name}): K/3 will un-audit and delete it. Withdraw it?",
    },
    "workflow.withdrawn": {
        "zh": "已在 K/3 撤销（删除）生产订单 {bill_no}（{material_code} {material_name}，数量 {qty} {unit}）。",
        "id": "Perintah {bill_no} ({material_code} {material_name}, {qty} {unit}) sudah ditarik (dihapus) di K/3.",
        "en": "Withdrew (deleted) order {bill_no} ({material_code} {material_name}, {qty} {unit}) in K/3.",
    },
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


# --- web dashboard (issue 16; rasa_project/web) --------------------------------------------------
def _w(zh: str, id_: str, en: str) -> dict[str, str]:
    return {"zh": zh, "id": id_, "en": en}


MESSAGES.update({
    "web.accept": _w("采纳此方案", "Terima opsi ini", "Accept this option"),
    "web.all_centers": _w("全部车间", "Semua lini", "All work centers"),
    "web.all_risk": _w("全部风险", "Semua risiko", "Any risk"),
    "web.all_status": _w("全部状态", "Semua status", "Any status"),
    "web.apply": _w("筛选", "Terapkan", "Apply"),
    "web.approval.applied": _w("已执行", "sudah diterapkan", "applied"),
    "web.approval.applying": _w("执行中", "sedang diterapkan", "applying"),
    "web.approval.approved": _w("已批准", "disetujui", "approved"),
    "web.approval.cancelled": _w("已取消", "dibatalkan", "cancelled"),
    "web.approval.checked": _w("待确认", "menunggu konfirmasi", "awaiting confirmation"),
    "web.approval.expired": _w("已过期", "kedaluwarsa", "expired"),
    "web.approval.failed": _w("失败", "gagal", "failed"),
    "web.approval.pending_approval": _w("待审批", "menunggu persetujuan", "pending approval"),
    "web.approval.refused": _w("被拒绝（规则）", "ditolak aturan", "refused by a rule"),
    "web.approval.rejected": _w("已驳回", "ditolak", "rejected"),
    "web.approval.requested": _w("已申请", "diajukan", "requested"),
    "web.approve": _w("批准", "Setujui", "Approve"),
    "web.as_of": _w("业务日 {day}", "hari kerja {day}", "business day {day}"),
    "web.back": _w("返回", "Kembali", "Back"),
    "web.bad_request": _w("请求无效。", "Permintaan tidak valid.", "That request is not valid."),
    "web.cancel": _w("取消", "Batal", "Cancel"),
    "web.capacity": _w("日产能 {n}", "kapasitas {n}/hari", "capacity {n}/day"),
    "web.changes": _w("变更申请", "Permintaan perubahan", "Change requests"),
    "web.col.approval": _w("审批", "Persetujuan", "Approval"),
    "web.col.bill_no": _w("订单号", "No. pesanan", "Order"),
    "web.col.completion": _w("完成率", "Selesai", "Done"),
    "web.col.good": _w("良品", "Bagus", "Good"),
    "web.col.good_scrap": _w("良品 / 报废", "Bagus / reject", "Good / scrap"),
    "web.col.material": _w("物料", "Material", "Material"),
    "web.col.material_code": _w("物料代码", "Kode material", "Material code"),
    "web.col.material_name": _w("物料名称", "Nama material", "Material name"),
    "web.col.plan_finish": _w("计划完工", "Rencana selesai", "Plan finish"),
    "web.col.plan_start": _w("计划开工", "Rencana mulai", "Plan start"),
    "web.col.projected_finish": _w("预计完工", "Perkiraan selesai", "Projected finish"),
    "web.col.qty": _w("数量", "Jumlah", "Quantity"),
    "web.col.reason": _w("原因", "Alasan", "Reason"),
    "web.col.risk": _w("风险", "Risiko", "Risk"),
    "web.col.scrap": _w("报废", "Reject", "Scrap"),
    "web.col.status": _w("K/3 状态", "Status K/3", "K/3 status"),
    "web.col.unit": _w("单位", "Satuan", "Unit"),
    "web.col.work_center": _w("车间", "Lini", "Work center"),
    "web.confirm": _w("确认执行", "Konfirmasi", "Confirm"),
    "web.csrf": _w("页面已过期，请刷新后再试。", "Halaman kedaluwarsa; muat ulang lalu coba lagi.",
                   "This page has expired; reload it and try again."),
    "web.dingtalk_failed": _w("钉钉登录未完成（授权码无效或已使用），请重新登录。",
                              "Masuk lewat DingTalk gagal (kode tidak valid atau sudah dipakai); coba lagi.",
                              "DingTalk sign-in did not complete (the code is invalid or used); please sign in again."),
    "web.dingtalk_unavailable": _w("暂时连不上钉钉，请稍后再试，或用账号密码登录。",
                                   "DingTalk tidak bisa dihubungi; coba lagi nanti atau masuk dengan kata sandi.",
                                   "DingTalk cannot be reached right now; try again later or sign in with your password."),
    "web.directory_down": _w("公司通讯录（LDAP）暂时无法访问，现在不能登录。请稍后再试。",
                             "Direktori perusahaan (LDAP) tidak bisa dihubungi, jadi belum bisa masuk. Coba lagi nanti.",
                             "The company directory (LDAP) cannot be reached, so nobody can sign in right now. Try again later."),
    "web.good": _w("良品", "Bagus", "Good"),
    "web.history": _w("记录（审计）", "Riwayat (audit)", "History (audit trail)"),
    "web.k3_unavailable": _w("暂时读不到 K/3，请稍后刷新。", "K/3 belum bisa dibaca; muat ulang sebentar lagi.",
                             "K/3 cannot be read right now; reload in a moment."),
    "web.kind.approval": _w("审批", "persetujuan", "approval"),
    "web.kind.decision": _w("权限", "izin", "permission"),
    "web.kind.inbound": _w("收到消息", "pesan masuk", "message in"),
    "web.kind.k3_call": _w("K/3 调用", "panggilan K/3", "K/3 call"),
    "web.kind.nlu": _w("理解", "pemahaman", "understood"),
    "web.kind.reply": _w("回复", "balasan", "reply"),
    "web.kind.system": _w("系统", "sistem", "system"),
    "web.lang.en": _w("English", "English", "English"),
    "web.lang.id": _w("Bahasa", "Bahasa", "Bahasa"),
    "web.lang.zh": _w("中文", "中文", "中文"),
    "web.live_lost": _w("实时连接中断，正在重连…", "Koneksi langsung terputus, menyambung ulang…",
                        "Live connection lost, reconnecting…"),
    "web.load_sub": _w("未来 14 个工作日的计划负荷与产能", "beban rencana vs kapasitas, 14 hari kerja ke depan",
                       "planned load against capacity, next 14 working days"),
    "web.login": _w("登录", "Masuk", "Sign in"),
    "web.login_dingtalk": _w("用钉钉登录", "Masuk dengan DingTalk", "Sign in with DingTalk"),
    "web.login_locked": _w("密码错误次数过多，该账号已锁定 {minutes} 分钟。",
                           "Terlalu banyak kata sandi salah; akun ini dikunci {minutes} menit.",
                           "Too many wrong passwords; this account is locked for {minutes} minutes."),
    "web.login_title": _w("生产看板登录", "Masuk ke dasbor produksi", "Sign in to the production dashboard"),
    "web.login_wrong": _w("用户名或密码不对。", "Nama pengguna atau kata sandi salah.", "Wrong user name or password."),
    "web.logout": _w("退出", "Keluar", "Sign out"),
    "web.managers_only": _w("只有经理可以审批。", "Hanya manajer yang boleh memutuskan persetujuan.",
                            "Only managers decide approvals."),
    "web.nav.approvals": _w("审批", "Persetujuan", "Approvals"),
    "web.nav.load": _w("车间负荷", "Beban lini", "Work-center load"),
    "web.nav.orders": _w("生产订单", "Pesanan produksi", "Orders"),
    "web.nav.overview": _w("总览", "Ringkasan", "Overview"),
    "web.nav.suggestions": _w("排产建议", "Saran penjadwalan", "Rescheduling"),
    "web.next": _w("下一页", "Berikutnya", "Next"),
    "web.no_history": _w("暂无记录。", "Belum ada riwayat.", "No history yet."),
    "web.no_orders": _w("没有符合条件的订单。", "Tidak ada pesanan yang cocok.", "No orders match."),
    "web.no_reports": _w("最近没有汇报。", "Belum ada laporan.", "No reports yet."),
    "web.no_work_center": _w("{name}，通讯录里没有你负责的车间，暂时不能查看看板。请联系管理员。",
                             "{name}, direktori belum mencatat lini kerja Anda, jadi dasbor belum bisa dibuka. Hubungi admin.",
                             "{name}, the directory names no work center of yours, so the dashboard cannot open yet. Ask an admin."),
    "web.none_pending": _w("没有待审批的申请。", "Tidak ada yang menunggu persetujuan.", "Nothing is waiting for approval."),
    "web.none_warned": _w("没有延期或有风险的订单。", "Tidak ada pesanan terlambat atau berisiko.", "No order is late or at risk."),
    "web.option.alternate": _w("换车间", "Pindah lini", "Other work center"),
    "web.option.due_date": _w("改交期", "Geser tenggat", "Move the due date"),
    "web.option.overtime": _w("加班", "Lembur", "Overtime"),
    "web.option.resequence": _w("调整顺序", "Ubah urutan", "Resequence"),
    "web.option_in_k3": _w("（此方案需在 K/3 中由计划员执行）", "(opsi ini dikerjakan perencana di K/3)",
                           "(a planner does this one in K/3)"),
    "web.option_not_acceptable": _w("{bill_no} 的这个方案已失效或不能在这里执行，请刷新页面。",
                                    "Opsi untuk {bill_no} ini sudah tidak berlaku atau tidak bisa dijalankan di sini; muat ulang.",
                                    "That option for {bill_no} is gone or cannot be done from here; reload the page."),
    "web.or": _w("或", "atau", "or"),
    "web.order_unknown": _w("找不到订单 {bill_no}（或不在你的车间）。", "Pesanan {bill_no} tidak ditemukan (atau bukan lini Anda).",
                            "Order {bill_no} is not there (or not in your work centers)."),
    "web.over_list": _w("超产能车间：{centers}", "Lini melebihi kapasitas: {centers}", "Over capacity: {centers}"),
    "web.overloaded": _w("{n} 天超负荷", "{n} hari kelebihan beban", "{n} days overloaded"),
    "web.page": _w("第 {page} / {pages} 页", "Halaman {page} dari {pages}", "Page {page} of {pages}"),
    "web.password": _w("密码", "Kata sandi", "Password"),
    "web.planners_only": _w("只有计划员（PMC）和经理可以改订单。", "Hanya PMC dan manajer yang boleh mengubah pesanan.",
                            "Only planners (PMC) and managers change orders."),
    "web.prev": _w("上一页", "Sebelumnya", "Previous"),
    "web.refused": _w("{name}，你没有查看生产看板的权限。", "{name}, Anda tidak punya akses ke dasbor produksi.",
                      "{name}, you have no access to the production dashboard."),
    "web.reject": _w("驳回", "Tolak", "Reject"),
    "web.reject_note": _w("驳回理由（可选）", "Alasan (opsional)", "Reason (optional)"),
    "web.report_date": _w("日期", "Tanggal", "Date"),
    "web.report_no": _w("汇报单", "Laporan", "Report"),
    "web.reports": _w("生产汇报", "Laporan produksi", "Production reports"),
    "web.requested_by": _w("申请人：{who}", "Diajukan oleh {who}", "Requested by {who}"),
    "web.risk_pending": _w("正在评估延期风险，稍后自动更新…", "Risiko keterlambatan sedang dihitung; halaman diperbarui sendiri…",
                           "Delay risk is being assessed; the page updates by itself…"),
    "web.risk_warned": _w("延期或有风险", "Terlambat atau berisiko", "Late or at risk"),
    "web.scope": _w("你看到的车间：{centers}", "Lini Anda: {centers}", "Your work centers: {centers}"),
    "web.scrap": _w("报废", "Reject", "Scrap"),
    "web.search": _w("搜索订单号或物料", "Cari nomor pesanan atau material", "Search order or material"),
    "web.stat.at_risk": _w("有风险", "Berisiko", "At risk"),
    "web.stat.late": _w("将延期", "Akan terlambat", "Late"),
    "web.stat.on_time": _w("准时率", "Tepat waktu", "On time"),
    "web.stat.open": _w("未完工订单", "Pesanan terbuka", "Open orders"),
    "web.stat.over": _w("超产能车间", "Lini kelebihan beban", "Work centers over capacity"),
    "web.stat.pending": _w("待审批", "Menunggu persetujuan", "Pending approvals"),
    "web.stat.today": _w("今日良品 / 报废", "Bagus / reject hari ini", "Good / scrap today"),
    "web.status_done": _w("已完工", "Selesai", "Finished"),
    "web.status_open": _w("未完工", "Terbuka", "Open"),
    "web.title": _w("DingK3 生产看板", "Dasbor produksi DingK3", "DingK3 production dashboard"),
    "web.total": _w("共 {n} 张", "{n} pesanan", "{n} orders"),
    "web.username": _w("账号或钉钉工号", "ID pengguna atau ID staf DingTalk", "User id or DingTalk staff id"),
    "web.warned_title": _w("需要关注的订单", "Pesanan yang perlu perhatian", "Orders that need attention"),
    "web.open_order": _w("[在看板中查看 {bill_no}]({url})", "[Lihat {bill_no} di dasbor]({url})",
                         "[See {bill_no} on the dashboard]({url})"),
    # issue 13: a thumbs-up is no explicit yes; a bare name while a summary waits
    "dialog.confirm_in_words": _w(
        "收到。这一步会写入 K/3，表情不算确认：请回复“确认”或点“确认”按钮；不需要就回复“取消”。还没有写入任何内容。",
        "Baik. Langkah ini menulis ke K/3 dan emoji bukan konfirmasi: balas \"ya\" atau tekan tombol \"ya\"; "
        "kalau tidak jadi, balas \"batal\". Belum ada yang ditulis.",
        "Noted. This step writes to K/3 and an emoji is not a confirmation: reply \"yes\" or press the \"Confirm\" "
        "button; reply \"cancel\" if not. Nothing has been written yet."),
    "dialog.name_while_pending": _w(
        "“{name}”是什么意思？您还有一份待确认的单据（还没有写入）。要修改它请说清楚，例如“改成{name}”；"
        "要写入请回复“确认”，不要了请回复“取消”。",
        "Maksudnya \"{name}\" apa? Masih ada ringkasan yang menunggu konfirmasi (belum ditulis). Untuk mengubahnya "
        "tulis jelas, misalnya \"ganti jadi {name}\"; balas \"ya\" untuk menulis atau \"batal\" kalau tidak jadi.",
        "What do you mean by \"{name}\"? A summary is still waiting for your confirmation (nothing written yet). "
        "To change it, say so, e.g. \"change it to {name}\"; reply \"yes\" to write it or \"cancel\" to drop it."),
})

# issue 14: withdrawing a waiting order in chat, transfer / add-signer, four-eyes after a transfer
MESSAGES.update({
    "oa.withdraw_will_terminate": {
        "zh": "它的钉钉审批（待 {approvers} 审批）也会一起撤销。",
        "id": "Persetujuannya di DingTalk (menunggu {approvers}) juga ikut dibatalkan.",
        "en": "Its DingTalk approval (waiting for {approvers}) is withdrawn too.",
    },
    "oa.withdraw_remark": {
        "zh": "{requester} 在群里撤回了这张生产订单",
        "id": "{requester} menarik perintah produksi ini di chat",
        "en": "{requester} withdrew this production order in chat",
    },
    "oa.withdrawn_in_chat": {
        "zh": "已撤回生产订单 {bill_no}（{material_code} {material_name}，数量 {qty} {unit}）：钉钉审批已撤销，K/3 已撤销提交并删除。",
        "id": "Perintah {bill_no} ({material_code} {material_name}, {qty} {unit}) sudah ditarik: persetujuan DingTalk dibatalkan, di K/3 pengajuan dibatalkan dan perintah dihapus.",
        "en": "Withdrew order {bill_no} ({material_code} {material_name}, {qty} {unit}): its DingTalk approval is withdrawn, and K/3 cancelled the submission and deleted it.",
    },
    "oa.withdraw_already_decided": {
        "zh": "生产订单 {bill_no} 的审批刚刚已由 {who} {result}，不能再撤回，订单没有改动。",
        "id": "Persetujuan perintah {bill_no} baru saja {result} oleh {who}; tidak bisa ditarik lagi, perintah tidak diubah.",
        "en": "The approval of order {bill_no} was just {result} by {who}; it can no longer be withdrawn, the order is unchanged.",
    },
    "oa.withdraw_dingtalk_down": {
        "zh": "暂时连不上钉钉审批，生产订单 {bill_no} 的审批没有撤销，订单也没有改动。请稍后再试。",
        "id": "DingTalk sedang tidak bisa dihubungi; persetujuan perintah {bill_no} tidak dibatalkan dan perintah tidak diubah. Coba lagi nanti.",
        "en": "DingTalk approvals cannot be reached right now; the approval of order {bill_no} was not withdrawn and the order is unchanged. Please try again later.",
    },
    "oa.requester_withdrawn": {
        "zh": "生产订单 {bill_no}（{material_code} {material_name}）已由你撤回，钉钉审批已撤销，K/3 中已删除。",
        "id": "Perintah {bill_no} ({material_code} {material_name}) sudah kamu tarik; persetujuan DingTalk dibatalkan dan dihapus di K/3.",
        "en": "You withdrew order {bill_no} ({material_code} {material_name}); its DingTalk approval is withdrawn and it is deleted in K/3.",
    },
    "oa.result_agreed": {"zh": "同意", "id": "disetujui", "en": "approved"},
    "oa.result_refused": {"zh": "拒绝", "id": "ditolak", "en": "refused"},
    "oa.four_eyes_remark": {
        "zh": "审批被转交回申请人本人，不符合四眼原则，按拒绝处理",
        "id": "persetujuan dialihkan kembali ke pemohon sendiri; prinsip empat mata tidak terpenuhi, dianggap ditolak",
        "en": "the approval was handed back to the requester; four-eyes does not hold, treated as refused",
    },
})

# The trainer page (issue 19): rasa_project/web/trainer.py and its templates.
MESSAGES.update({
    "trainer.title": _w("训练员", "Pelatih", "Trainer"),
    "trainer.only": _w("只有训练员（LDAP 组 trainers）可以打开训练页面。",
                       "Hanya pelatih (grup LDAP trainers) yang boleh membuka halaman pelatih.",
                       "Only trainers (LDAP group trainers) may open the trainer page."),
    "trainer.active_model": _w("机器人正在使用的模型：", "Model yang dipakai bot:", "Model the bot answers with:"),
    "trainer.not_answering": _w("无响应", "tidak menjawab", "not answering"),
    "trainer.retrain": _w("重新训练并对比", "Latih ulang dan bandingkan", "Retrain and compare"),
    "trainer.retrain_stage.training": _w("正在训练…", "Sedang melatih…", "Training…"),
    "trainer.retrain_stage.comparing": _w("正在用评测集对比新旧模型…", "Membandingkan model lama dan baru pada set evaluasi…",
                                          "Comparing the old and new model on the evaluation sets…"),
    "trainer.retrain_stage.done": _w("对比完成：没有变差。", "Perbandingan selesai: tidak ada yang memburuk.",
                                     "Compared: nothing got worse."),
    "trainer.retrain_stage.worse": _w("对比完成：有评测集变差了。", "Perbandingan selesai: ada set evaluasi yang memburuk.",
                                      "Compared: some evaluation set got worse."),
    "trainer.retrain_stage.unchanged": _w("没有可对比的新模型（数据没变，或机器人已在用它）。",
                                          "Tidak ada model baru untuk dibandingkan (data sama, atau bot sudah memakainya).",
                                          "No new model to compare (the data did not change, or the bot already uses it)."),
    "trainer.retrain_stage.failed": _w("训练或对比失败，请看下面的日志。", "Pelatihan atau perbandingan gagal; lihat log di bawah.",
                                       "Training or comparing failed; see the log below."),
    "trainer.epoch": _w("（第 {done}/{of} 轮）", "(epoch {done}/{of})", "(epoch {done}/{of})"),
    "trainer.regressions": _w("退步 {n} 句", "{n} kemunduran", "regressions: {n}"),
    "trainer.log": _w("训练日志", "Log pelatihan", "Training log"),
    "trainer.saved": _w("已写入 {file} 第 {line} 行：", "Ditulis ke {file} baris {line}:", "Written to {file} line {line}:"),
    "trainer.extractor_misses": _w("抽取器读不出这一段（要让机器人认识它，请加为别名）",
                                   "ekstraktor tidak membaca bagian ini (tambahkan sebagai alias agar bot mengenalinya)",
                                   "the extractor does not read this span (add it as an alias for the bot to know it)"),
    "trainer.retrain_hint": _w("重新训练后机器人才会用上。", "Bot memakainya setelah dilatih ulang.",
                               "The bot uses it after a retrain."),
    "trainer.refused": _w("没有保存：数据检查（dingk3 data check）不接受这个修改。",
                          "Tidak disimpan: pemeriksaan data (dingk3 data check) menolak perubahan ini.",
                          "Not saved: the data check (dingk3 data check) refuses this change."),
    "trainer.language": _w("语言", "Bahasa", "Language"),
    "trainer.all": _w("全部", "Semua", "All"),
    "trainer.reason": _w("原因", "Alasan", "Reason"),
    "trainer.reason.fallback": _w("没听懂", "Tidak dipahami", "Not understood"),
    "trainer.reason.low_confidence": _w("把握低", "Keyakinan rendah", "Low confidence"),
    "trainer.reason.corrected": _w("被纠正", "Dikoreksi", "Corrected"),
    "trainer.reason.flagged": _w("被标记不对", "Ditandai salah", "Flagged"),
    "trainer.reason.reasked": _w("重复追问", "Ditanya ulang", "Asked again"),
    "trainer.reason.cancelled": _w("流程被取消", "Alur dibatalkan", "Flow cancelled"),
    "trainer.reason.unknown_word": _w("不认识的词", "Kata tidak dikenal", "Unknown word"),
    "trainer.filter": _w("筛选", "Saring", "Filter"),
    "trainer.shown": _w("显示 {n} / {total} 条", "{n} dari {total} pesan", "{n} of {total} messages"),
    "trainer.heard_as": _w("识别为 {intent}（{confidence}）", "dibaca sebagai {intent} ({confidence})",
                           "read as {intent} ({confidence})"),
    "trainer.people": _w("发送人数：{n}", "pengirim: {n}", "senders: {n}"),
    "trainer.intent": _w("意图", "Maksud", "Intent"),
    "trainer.block_lang": _w("写入语言块", "Blok bahasa", "Language block"),
    "trainer.entity": _w("实体", "Entitas", "Entity"),
    "trainer.mark": _w("标记所选文字", "Tandai teks terpilih", "Mark the selection"),
    "trainer.unmark": _w("清除标记", "Hapus tanda", "Clear marks"),
    "trainer.save_example": _w("保存为训练例句", "Simpan sebagai contoh latihan", "Save as training example"),
    "trainer.alias_word": _w("别名", "Alias", "Alias"),
    "trainer.kind.material": _w("物料", "Material", "Material"),
    "trainer.kind.work_center": _w("车间", "Lini", "Work center"),
    "trainer.save_alias": _w("加为别名", "Tambahkan alias", "Add as alias"),
    "trainer.inbox_empty": _w("收件箱是空的：最近没有需要看的消息。", "Kotak masuk kosong: tidak ada pesan yang perlu dilihat.",
                              "The inbox is empty: no message worth a look lately."),
    "trainer.retrain_title": _w("重新训练与对比", "Latih ulang dan bandingkan", "Retrain and compare"),
    "trainer.back_to_inbox": _w("返回收件箱", "Kembali ke kotak masuk", "Back to the inbox"),
    "trainer.switch_loaded": _w("已切换到新模型", "sudah memakai model baru", "now answers with the new model"),
    "trainer.no_retrain": _w("还没有重新训练过。", "Belum ada pelatihan ulang.", "No retrain yet."),
    "trainer.worse_on": _w("变差的评测集：{sets}", "Memburuk pada: {sets}", "Worse on: {sets}"),
    "trainer.changed_title": _w("答案变了的评测句（退步的在前）", "Kalimat evaluasi yang jawabannya berubah (kemunduran dulu)",
                                "Evaluation sentences whose answer changed (regressions first)"),
    "trainer.kind_change.regression": _w("退步", "kemunduran", "regression"),
    "trainer.kind_change.changed": _w("变化", "berubah", "changed"),
    "trainer.kind_change.fixed": _w("修好", "diperbaiki", "fixed"),
    "trainer.none": _w("没有", "Tidak ada", "None"),
    "trainer.figures_title": _w("各评测集、各语言的前后对比", "Sebelum / sesudah per set evaluasi dan bahasa",
                                "Before / after per evaluation set and language"),
    "trainer.set": _w("评测集", "Set", "Set"),
    "trainer.intent_before": _w("意图准确率（前）", "Akurasi maksud (sebelum)", "Intent accuracy before"),
    "trainer.intent_after": _w("意图准确率（后）", "Akurasi maksud (sesudah)", "Intent accuracy after"),
    "trainer.f1_before": _w("实体 F1（前）", "F1 entitas (sebelum)", "Entity F1 before"),
    "trainer.f1_after": _w("实体 F1（后）", "F1 entitas (sesudah)", "Entity F1 after"),
    "trainer.inbox_title": _w("标注过的收件箱消息", "Pesan kotak masuk yang dianotasi", "Annotated inbox messages"),
    "trainer.understood": _w("现在能听懂", "sekarang dipahami", "now understood"),
    "trainer.not_yet": _w("还没听懂", "belum dipahami", "not yet"),
    "trainer.confirm_worse": _w("我知道新模型在某些评测集上变差了，仍然切换", "Saya tahu model baru memburuk pada beberapa set; tetap ganti",
                                "I know the new model is worse on some set; switch anyway"),
    "trainer.switch": _w("切换到新模型", "Ganti ke model baru", "Switch to the new model"),
    "trainer.retrain_busy": _w("已经有一个重新训练在进行。", "Pelatihan ulang sedang berjalan.", "A retrain is already running."),
    "trainer.switch_stale": _w("这个对比结果已过时或不完整，请重新训练。", "Hasil perbandingan ini usang atau belum lengkap; latih ulang.",
                               "This comparison is out of date or incomplete: retrain."),
    "trainer.switch_needs_confirm": _w("新模型变差了：请勾选确认后再切换。", "Model baru memburuk: centang konfirmasi untuk mengganti.",
                                       "The new model is worse: tick the confirmation to switch."),
})

# approvals page: who decided (names from the directory; issue 16)
MESSAGES.update({
    "web.decided_title": _w("最近的审批", "Keputusan terakhir", "Recently decided"),
    "web.decided_by": _w("{state}，审批人：{who}（{when}）", "{state} oleh {who} ({when})", "{state} by {who} ({when})"),
})


# --- a change request that names the field but no value (issue 13, fresh set) ----------------------
MESSAGES.update({
    "ask.change_quantity": {
        "zh": "{bill_no} 现在的数量是 {qty}，要改成多少？直接写数字即可，例如 500。",
        "id": "Jumlah {bill_no} sekarang {qty}. Mau diubah jadi berapa? Tulis angkanya saja, mis. 500.",
        "en": "{bill_no} is for {qty} now. What should the quantity be? Just write the number, e.g. 500.",
    },
    "ask.change_due_date": {
        "zh": "{bill_no} 现在的完工日期是 {finish}，要改到哪天？例如 4月20日。",
        "id": "Tanggal selesai {bill_no} sekarang {finish}. Mau diubah ke tanggal berapa? Mis. 20 April.",
        "en": "{bill_no} finishes on {finish} now. What should the new finish date be? E.g. April 20.",
    },
    "ask.change_work_center": {
        "zh": "{bill_no} 现在在 {work_center}，要换到哪个车间？",
        "id": "{bill_no} sekarang di {work_center}. Mau dipindah ke bengkel mana?",
        "en": "{bill_no} is at {work_center} now. Which work center should it move to?",
    },
})
