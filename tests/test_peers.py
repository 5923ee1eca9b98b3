"""Peer benchmarking: peer choice, measures against hand sums, ranks, funnel limits, and the Peers page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from forecasting import peers
from forecasting.io import SAMPLE_DIR
from forecasting.nhse import read_ae_activity
from forecasting.peer_charts import funnel_chart, peer_bar_chart

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIDY = SAMPLE_DIR / "nhse" / "ae_monthly_rwp_peers.csv"


@pytest.fixture(scope="module")
def returns():
    return read_ae_activity(TIDY, site="code").frame


def test_similar_peers_are_the_closest_in_type1_volume(returns):
    chosen = peers.similar_peers(returns, "RWP", 4)
    raw = pd.read_csv(TIDY, parse_dates=["period"])
    last = raw[(raw["type"] == "1") & (raw["period"] >= "2018-04-01")]
    mean = last.groupby("org_code")["attendances"].mean()
    gap = (mean - mean["RWP"]).abs().drop("RWP").sort_values()
    assert chosen == list(gap.index[:4])
    with pytest.raises(peers.PeerError, match="NOPE has no"):
        peers.similar_peers(returns, "NOPE")


def test_measures_match_hand_sums_from_the_file(returns):
    m = peers.peer_measures(returns, ["RWP", "RXW"]).set_index("site")
    raw = pd.read_csv(TIDY, parse_dates=["period"])
    rwp = raw[raw["org_code"] == "RWP"]
    now = rwp[rwp["period"].between("2018-04-01", "2019-03-01")]
    before = rwp[rwp["period"].between("2017-04-01", "2018-03-01")]
    t1 = now[now["type"] == "1"]
    assert m.loc["RWP", "attendances"] == now["attendances"].sum()
    assert m.loc["RWP", "performance_4h"] == pytest.approx(1 - now["breaches"].sum() / now["attendances"].sum())
    assert m.loc["RWP", "performance_4h_type1"] == pytest.approx(1 - t1["breaches"].sum() / t1["attendances"].sum())
    assert m.loc["RWP", "growth"] == pytest.approx(now["attendances"].sum() / before["attendances"].sum() - 1)
    assert m.loc["RWP", "conversion_type1"] == pytest.approx(t1["admissions"].sum() / t1["attendances"].sum())
    assert np.isnan(m.loc["RWP", "dta_12h_per_1000"])  # the tidy extract has no 12-hour waits
    assert m.loc["RWP", "performance_4h"] == pytest.approx(0.759, abs=0.001)  # 75.9 % in 2018/19


def test_ranks_follow_the_better_direction():
    m = pd.DataFrame({"site": ["A", "B", "C"], "performance_4h": [0.9, 0.8, 0.9],
                      "dta_12h_per_1000": [5.0, 1.0, 3.0], "growth": [0.1, 0.0, -0.1]})
    r = peers.rank_measures(m).set_index("site")
    assert list(r["performance_4h"]) == [1, 3, 1]        # higher is better, ties share
    assert list(r["dta_12h_per_1000"]) == [3, 1, 2]      # lower is better
    assert "growth" not in r.columns                     # no better direction: not ranked


def test_funnel_limits_binomial_and_overdispersed():
    lim = peers.funnel_limits(0.8, [100, 10_000])
    assert lim["upper_95"].iloc[0] == pytest.approx(0.8 + 1.959964 * np.sqrt(0.16 / 100))
    assert lim["lower_99.8"].iloc[1] == pytest.approx(0.8 - 3.090232 * np.sqrt(0.16 / 10_000))
    # providers spread far more than volume explains -> tau2 > 0 widens the funnel
    n = np.full(10, 50_000.0)
    rates = np.linspace(0.7, 0.95, 10)
    tau2 = peers.overdispersion(rates, n, rates.mean())
    assert tau2 > 0
    assert peers.overdispersion(np.full(10, 0.8), n, 0.8) == 0
    m = pd.DataFrame({"site": list("ABCDEFGHIJ"), "attendances": n, "performance_4h": rates})
    pts, limits, pooled = peers.funnel_points(m)
    assert pooled == pytest.approx(rates.mean())
    assert limits.attrs["tau2"] == pytest.approx(tau2)
    plain, _, _ = peers.funnel_points(m, adjust=False)
    assert (plain["position"] != "inside").sum() > (pts["position"] != "inside").sum()


def test_peer_charts_mark_the_trust_without_relying_on_colour(returns):
    m = peers.peer_measures(returns, ["RWP"] + peers.similar_peers(returns, "RWP"))
    pts, limits, pooled = peers.funnel_points(m)
    spec = funnel_chart(pts, limits, pooled, trust="RWP", title="t").to_dict()
    dots = spec["layer"][2]["encoding"]
    assert dots["shape"]["scale"]["range"] == ["diamond", "circle"]
    bar = peer_bar_chart(m, measure="performance_4h", trust="RWP", title="t", label="x",
                         rules={"78% ambition": 0.78, "95% standard": 0.95}).to_dict()
    assert [layer["mark"]["type"] for layer in bar["layer"]] == ["bar", "rule", "text", "text"]


def _measures(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "Provider" in d.value.columns)


def test_peers_page_on_the_bundled_extract():
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/peers.py").run()
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["Peers"]
    assert at.selectbox(key="peer_trust").value == "RWP"
    assert len(at.multiselect(key="peer_list_RWP").value) == 10
    text = " ".join(m.value for m in at.markdown)
    assert "saw 75.9% of patients within 4 hours" in text and "below the 78 % ambition" in text
    table = _measures(at)
    assert table["Provider"].iloc[0].startswith("RWP · Worcestershire Acute Hospitals NHS Trust")
    assert table["Rank: 4-hour performance, all types"].iloc[0] == "10 of 11"
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    # every chart: its message on top, the provenance footnote under it
    titles = [(s["vconcat"][0] if "vconcat" in s else s)["title"]["text"] for s in specs]
    # under the SPC charts; the last subtitle line(s) of the others (half-width charts put the
    # source on a line of its own)
    notes = [s["title"]["text"] if "vconcat" in s else " · ".join(s["title"]["subtitle"][-2:])
             if s["title"]["subtitle"][-1].startswith("Data through") else s["title"]["subtitle"][-1]
             for s in specs]
    assert all(n.startswith("Source: NHS England monthly A&E returns") and "Data through 31 Mar 2019" in n
               for n in notes)
    assert titles[0] == "4-hour performance, best first"
    assert titles[1].startswith("RWP is ")
    assert "Worcestershire Acute Hospitals NHS Trust, 4-hour performance: special cause" in titles[2]
    assert titles[3] == "Worcestershire Acute Hospitals NHS Trust: attendances each month"
    assert "attendances expected in the next 12 months" in titles[4] and "Model: automatic (" in notes[4]
    # the SPC of 4-hour performance is in per cent, like the table (75.9 %, not 0.759)
    assert specs[2]["vconcat"][0]["layer"][0]["encoding"]["y"]["title"] == "Seen within 4 hours (%)"
    from ui import peers as pui
    returns = pui.load_returns()
    spec = pui.spc_charts(returns, "RWP")[0].to_dict()
    spc_values = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert spc_values["value"].between(60, 100).all() and (spc_values["target"] == 78).all()
    assert spc_values["value"].iloc[-12:].mean() == pytest.approx(75.9, abs=1.0)  # Apr 2018-Mar 2019
    assert any("Open Government Licence" in c.value for c in at.caption)
    # fewer peers: the table and ranks follow
    at.multiselect(key="peer_list_RWP").set_value(["RXW", "RTF"]).run()
    assert not at.exception
    assert _measures(at)["Rank: 4-hour performance, all types"].iloc[0] == "2 of 3"


def test_part_year_providers_are_not_ranked_and_rates_use_complete_months():
    months = pd.date_range("2024-04-01", periods=24, freq="MS")
    rows = []
    for site, n_months in (("A", 24), ("B", 24), ("C", 20)):      # C misses the last 4 months
        for d in months[:n_months]:
            rows += [{"site": site, "metric": "attendances", "date": d, "value": 1000.0},
                     {"site": site, "metric": "breaches_4h", "date": d, "value": 100.0 if site == "A" else 200.0}]
    act = pd.DataFrame(rows)
    # B's last month reports attendances but no breaches: that month is left out of B's rate
    act = act[~((act["site"] == "B") & (act["metric"] == "breaches_4h") & (act["date"] == months[-1]))]
    m = peers.peer_measures(act, ["A", "B", "C"]).set_index("site")
    assert m.loc["A", "performance_4h"] == pytest.approx(0.9)
    assert m.loc["B", "performance_4h"] == pytest.approx(0.8)       # not inflated by the missing month
    assert m.loc["C", "months"] == 8 and np.isnan(m.loc["C", "performance_4h"])
    ranks = peers.rank_measures(m.reset_index()).set_index("site")["performance_4h"]
    assert ranks["A"] == 1 and ranks["B"] == 2 and pd.isna(ranks["C"])
