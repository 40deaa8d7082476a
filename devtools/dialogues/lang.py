"""Which language a bot message is in: zh, id, en, or None when the text gives no signal.

A deliberately plain heuristic: Chinese by its characters; Indonesian against English by common
function words. Order numbers, codes and numbers carry no signal and are ignored.
"""

from __future__ import annotations

import re

CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z]{2,}(?![A-Za-z0-9_-])")

ID_WORDS = frozenset(["yang", "dan", "untuk", "tidak", "sudah", "belum", "pesanan", "jumlah", "silakan", "apa", "ini", "itu", "akan", "dengan", "ada", "dari", "ke", "di", "atau", "saya", "anda", "kami", "bisa", "mohon", "produksi", "laporan", "menunggu", "persetujuan", "dibatalkan", "tanggal", "selesai", "berapa", "baik", "tolong", "sebelum", "setelah", "hari", "pilih", "konfirmasi", "diubah", "menjadi", "jadi", "masih", "baru", "stok", "batal", "oleh", "sedang", "dibuat", "buat", "perubahan", "ditolak", "disetujui", "perlu", "tidak", "belum", "bagus", "rusak", "hasil", "kapan", "mana", "jenis", "lini", "bengkel", "pusat", "tunggu", "dulu", "sebanyak", "sisa", "target", "terlapor", "dilaporkan", "tercatat", "anda", "kirim", "ketik", "balas", "tahap", "semua", "lagi", "harus"])
EN_WORDS = frozenset(["the", "and", "to", "is", "are", "of", "for", "with", "please", "will", "not", "you", "your", "has", "have", "be", "this", "that", "was", "which", "what", "how", "many", "when", "yes", "confirm", "cancel", "been", "it", "on", "in", "at", "by", "from", "can", "now", "waiting", "approval", "production", "quantity", "reported", "finish", "date", "changed", "order", "orders", "would", "there", "here", "type", "shop", "line", "change", "request", "requests", "approved", "rejected", "nothing", "cannot", "only", "no", "done", "written", "good", "scrap", "left", "due", "report", "reports", "created", "new", "why", "who", "stock"])


def detect(text: str) -> str | None:
    cjk = len(CJK.findall(text or ""))
    words = [w.lower() for w in WORD.findall(text or "")]
    id_hits = sum(w in ID_WORDS for w in words)
    en_hits = sum(w in EN_WORDS for w in words)
    if cjk >= 2 and cjk >= (id_hits + en_hits):
        return "zh"
    if id_hits == en_hits:
        return "zh" if cjk >= 2 else None
    if max(id_hits, en_hits) < 2 and cjk >= 1:
        return "zh"
    return "id" if id_hits > en_hits else "en"
