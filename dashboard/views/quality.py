"""7 数据质量: every audit finding, which organ × year is covered, and files that failed."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import charts, colors, fmt, labels, queries, safe, ui
from dashboard.context import current
from dashboard.db import q

ctx = current()
sel = ctx.sel
if not ui.header("数据质量", sel, ctx.summary, ctx.names):
    st.stop()

summary = ctx.summary.row(0, named=True)
per_year = q(queries.reports_per_year, sel)
rules = q(queries.findings_summary, sel)

# --- consistency ------------------------------------------------------------------------------
reports, errors = summary["reports"], summary["error_reports"]
c1, c2, c3, c4 = st.columns(4)
c1.metric("报告数", fmt.num(reports))
c2.metric(
    "内部一致的报告",
    fmt.pct((reports - errors) / reports if reports else None),
    help="没有任何“错误”级审核发现（H1–H5）的报告占比；“提示”级发现不影响一致性。",
)
c3.metric("有审核错误的报告", fmt.num(errors))
errors_files = q(queries.ingest_errors)
c4.metric(
    "导入失败的文件", fmt.num(errors_files.height), help="整个仓库的导入失败记录（不受筛选影响）"
)

fig = go.Figure()
consistent = (per_year["reports"] - per_year["error_reports"]) / per_year["reports"]
fig.add_trace(
    go.Bar(
        x=per_year["year"].to_list(),
        y=consistent.to_list(),
        marker_color=colors.COVERAGE["present"],
        hovertext=[
            f"{y}年：{fmt.pct(v)}（{r - e} / {r} 份）"
            for y, v, r, e in zip(
                per_year["year"],
                consistent,
                per_year["reports"],
                per_year["error_reports"],
                strict=True,
            )
        ],
        hoverinfo="text",
    )
)
charts.year_axis(
    charts.layout(fig, percent=True, height=260, legend=False), per_year["year"].to_list()
)
fig.update_yaxes(range=[0, 1])
st.markdown("**内部一致的报告占比（按年）**")
ui.chart(
    fig,
    per_year.with_columns(consistent.alias("share")),
    {"year": "年度", "reports": "报告数", "error_reports": "有审核错误", "share": "一致占比"},
    key="dq_share",
)

# --- findings ---------------------------------------------------------------------------------
st.subheader("审核发现")
if rules.is_empty():
    st.success("所选报告没有任何审核发现。", icon=":material/check_circle:")
else:
    overview = rules.with_columns(
        pl.col("rule").map_elements(labels.rule_title, return_dtype=pl.String).alias("title"),
        pl.col("severity").replace_strict(labels.SEVERITIES, default=None).alias("level"),
    )
    ui.data_expander(
        overview,
        {
            "rule": "规则",
            "title": "检查内容",
            "level": "级别",
            "findings": "发现数",
            "reports": "涉及报告",
        },
        "按规则汇总",
    )
    f1, f2 = st.columns(2)
    with f1:
        chosen_rules = st.multiselect(
            "规则",
            sorted(rules["rule"].unique().to_list()),
            format_func=lambda r: f"{r} {labels.rule_title(r)}",
            key="dq_rule",
            bind="query-params",
            placeholder="全部规则",
        )
    with f2:
        chosen_sev = st.multiselect(
            "级别",
            list(labels.SEVERITIES),
            format_func=labels.SEVERITIES.get,
            key="dq_sev",
            bind="query-params",
            placeholder="全部级别",
        )
    found = q(queries.findings, sel, chosen_rules or None, chosen_sev or None)
    if found.is_empty():
        st.info("没有符合所选规则和级别的发现。", icon=":material/search:")
    else:
        total = int(
            rules.filter(
                (pl.col("rule").is_in(chosen_rules) if chosen_rules else pl.lit(True))
                & (pl.col("severity").is_in(chosen_sev) if chosen_sev else pl.lit(True))
            )["findings"].sum()
        )
        shown = found.with_columns(
            pl.format("report?report={}", pl.col("report_id")).alias("link"),
            pl.col("severity").replace_strict(labels.SEVERITIES, default=None).alias("level"),
            pl.col("rule").map_elements(labels.rule_title, return_dtype=pl.String).alias("title"),
            pl.when(pl.col("is_demo"))
            .then(pl.lit(labels.DEMO))
            .otherwise(pl.lit(labels.REAL))
            .alias("source"),
            pl.col("cells")
            .list.eval(pl.element().map_elements(labels.metric_label, return_dtype=pl.String))
            .list.join("；")
            .alias("cell_labels"),
        ).select(
            "link",
            "organ",
            "year",
            "rule",
            "title",
            "level",
            "message",
            "expected",
            "actual",
            "cell_labels",
            "source",
            "county",
        )
        st.caption(
            f"共 {fmt.num(total)} 条"
            + (f"，列出前 {fmt.num(found.height)} 条" if found.height < total else "")
            + "；点击“报告”列打开报告详情（单元格会标红）。"
        )
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={
                "link": st.column_config.LinkColumn("报告", display_text="打开"),
                "organ": "机关",
                "year": st.column_config.NumberColumn("年度", format="%d"),
                "rule": "规则",
                "title": "检查内容",
                "level": "级别",
                "message": st.column_config.TextColumn("说明", width="large"),
                "expected": "应为",
                "actual": "填报",
                "cell_labels": "涉及单元格",
                "source": "来源",
                "county": "县（区）",
            },
        )

# --- coverage ---------------------------------------------------------------------------------
st.subheader("覆盖情况：机关 × 年度")
cov = q(queries.coverage, sel)
if cov.is_empty():
    ui.empty(sel)
else:
    organs = cov["organ_id"].unique(maintain_order=True).to_list()
    years = sorted(cov["year"].unique().to_list())
    counts = cov.group_by("status").len()
    count = dict(zip(counts["status"], counts["len"], strict=True))
    st.caption(
        f"{len(organs)} 个机关 × {len(years)} 年：有报告且一致 {count.get('present', 0)}，"
        f"有审核错误 {count.get('errors', 0)}，缺报告 {count.get('missing', 0)}。"
    )
    MAX_ROWS = 60
    if len(organs) > MAX_ROWS:
        st.caption(
            f"机关较多，只画出前 {MAX_ROWS} 个（按地区排序）；在侧栏选择地区可看其余机关。"
            "完整矩阵见“查看数据”。"
        )
    draw = cov.filter(pl.col("organ_id").is_in(organs[:MAX_ROWS]))
    code = {"present": 0, "errors": 1, "missing": 2}
    status_label = {"present": "有报告", "errors": "有审核错误", "missing": "缺报告"}
    z, text, custom, ylabels = [], [], [], []
    for organ_id in organs[:MAX_ROWS]:
        part = {
            r["year"]: r for r in draw.filter(pl.col("organ_id") == organ_id).iter_rows(named=True)
        }
        first = next(iter(part.values()))
        ylabels.append(safe.plot(ctx.names.get(organ_id, first["organ"])))
        z.append([code[part[y]["status"]] for y in years])
        text.append([status_label[part[y]["status"]] for y in years])
        custom.append([part[y]["report_id"] or "" for y in years])
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"{y}年" for y in years],
            y=ylabels,
            text=text,
            customdata=custom,
            hovertemplate="%{y} %{x}：%{text}<extra></extra>",
            colorscale=[
                [0, colors.COVERAGE["present"]],
                [0.33, colors.COVERAGE["present"]],
                [0.34, colors.COVERAGE["errors"]],
                [0.66, colors.COVERAGE["errors"]],
                [0.67, colors.COVERAGE["missing"]],
                [1, colors.COVERAGE["missing"]],
            ],
            zmin=0,
            zmax=2,
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    charts.layout(fig, height=max(200, 22 * len(ylabels) + 80), legend=False)
    fig.update_yaxes(autorange="reversed")
    status_table = (
        cov.with_columns(pl.col("status").replace_strict(status_label, default=None))
        .pivot(on="year", index="organ_id", values="status")
        .with_columns(
            pl.col("organ_id").replace_strict(ctx.names, default=pl.col("organ_id")).alias("organ")
        )
    )
    points = ui.chart(
        fig,
        status_table,
        {c: (c if c == "organ" else f"{c}年") for c in status_table.columns} | {"organ": "机关"},
        key="dq_cov",
        caption="绿色：有报告且内部一致；红色：有审核错误；浅灰：该年没有报告。点击格子打开该报告。",
        selectable=True,
    )
    if points:
        rid = (
            (points[0].get("customdata") or "")
            if isinstance(points[0].get("customdata"), str)
            else ""
        )
        if rid:
            ui.report_link(rid, "打开所选报告")

# --- ingest errors ----------------------------------------------------------------------------
st.subheader("导入失败的文件")
if errors_files.is_empty():
    st.success("没有导入失败的文件。", icon=":material/check_circle:")
else:
    st.caption("这些文件没有进入仓库（不是年度报告、无法读取或无法识别）。此表不受侧栏筛选影响。")
    st.dataframe(
        errors_files,
        hide_index=True,
        width="stretch",
        column_config={
            "path": "文件",
            "error_kind": "类型",
            "message": st.column_config.TextColumn("原因", width="large"),
            "logged_at": st.column_config.DatetimeColumn("时间", format="YYYY-MM-DD HH:mm"),
        },
    )
