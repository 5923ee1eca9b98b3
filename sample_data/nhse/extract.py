"""Cut the trust (RWP) and its ten nearest peers by type 1 volume out of the shared NHS England data.

Run from the repository root: python sample_data/nhse/extract.py [--shared ../shared/data/nhse]
Writes ae_monthly_rwp_peers.csv and winter_sitreps_rwp_peers.csv beside this script.
Contains public sector information licensed under the Open Government Licence v3.0.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
TRUST = "RWP"
N_PEERS = 10


def nearest_peers(ae: pd.DataFrame, trust: str = TRUST, n: int = N_PEERS) -> list[str]:
    """Providers whose mean monthly type 1 attendances are closest to the trust's, all 36 months present."""
    t1 = ae[ae["type"].astype(str) == "1"]
    months = t1.groupby("org_code")["period"].nunique()
    full = months[months == t1["period"].nunique()].index
    volume = t1[t1["org_code"].isin(full)].groupby("org_code")["attendances"].mean()
    gap = (volume - volume[trust]).abs().drop(trust).sort_values()
    return gap.index[:n].tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared" / "data" / "nhse")
    args = parser.parse_args()
    ae = pd.read_csv(args.shared / "ae_attendances_monthly_2016_2019.csv")
    orgs = [TRUST] + nearest_peers(ae)
    ae_out = ae[ae["org_code"].isin(orgs)].sort_values(["org_code", "period", "type"])
    ae_out.to_csv(HERE / "ae_monthly_rwp_peers.csv", index=False)
    sit = pd.read_csv(args.shared / "winter_sitreps_daily_beds_2015_2023.csv")
    sit_out = sit[sit["Code"].isin(orgs)].sort_values(["Code", "Date"])
    sit_out.to_csv(HERE / "winter_sitreps_rwp_peers.csv", index=False)
    print(f"{len(ae_out):,} A&E rows and {len(sit_out):,} sitrep rows for {', '.join(orgs)}")


if __name__ == "__main__":
    main()
