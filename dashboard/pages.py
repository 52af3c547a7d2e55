"""The dashboard's pages: script, title, icon and URL path, grouped as the sidebar shows them.

Kept apart from the entry script so tests and the benchmark walk the same list of pages
without importing Streamlit's runtime.
"""

from __future__ import annotations

PAGES: dict[str, list[tuple[str, str, str, str]]] = {
    "分析": [
        ("views/overview.py", "总览", ":material/dashboard:", "overview"),
        ("views/trends.py", "申请趋势", ":material/trending_up:", "trends"),
        ("views/outcomes.py", "办理结果", ":material/donut_large:", "outcomes"),
        ("views/compare.py", "地区比较", ":material/leaderboard:", "compare"),
        ("views/map.py", "地区地图", ":material/map:", "map"),
        ("views/active.py", "主动公开", ":material/campaign:", "active"),
        ("views/review.py", "复议诉讼", ":material/gavel:", "review"),
        ("views/peers.py", "同级对标", ":material/groups:", "peers"),
        ("views/watch.py", "关注清单", ":material/flag:", "watch"),
    ],
    "数据": [
        ("views/quality.py", "数据质量", ":material/fact_check:", "quality"),
        ("views/report.py", "报告详情", ":material/description:", "report"),
        ("views/download.py", "数据下载", ":material/download:", "download"),
        ("views/log.py", "操作记录", ":material/history:", "log"),
        ("views/upload.py", "导入报告", ":material/upload_file:", "upload"),
        ("views/review_queue.py", "待审核", ":material/pending_actions:", "review-queue"),
        ("views/briefing.py", "一键简报", ":material/summarize:", "briefing"),
    ],
}
PAGE_FILES: tuple[str, ...] = tuple(page[0] for group in PAGES.values() for page in group)
