"""Board pack: one button builds the PDF and PowerPoint (and the workbook and chart PNGs) for the active data."""

import streamlit as st

from ui import board
from ui import capacity_forms as forms
from ui.data import require_dataset

st.title("Board pack")
st.caption("One click builds the board pack for the active data: an A4 landscape PDF (cover, summaries, SPC, "
           "forecasts, beds, staffing, scenarios, methods) and a 16:9 PowerPoint deck with one chart per slide. "
           "It uses the settings last used on the Beds and Workforce pages and the scenarios saved on the "
           "Scenarios page.")
ds = require_dataset()
bed = forms.current_bed_settings()
staff = forms.current_workforce_settings(ds.frame)
saved = forms.saved_scenarios()

left, right = st.columns([2, 3])
trust = left.text_input("Trust name on the cover", board.default_trust(ds.source), key="board_trust")
chosen = left.multiselect("Scenarios to compare with the baseline", list(saved), default=list(saved)[:4],
                          max_selections=4, key="board_scenarios",
                          help="Save scenarios on the Scenarios page; up to four are compared.")
with right:
    st.markdown("**The pack will use**")
    st.markdown("\n".join(f"- {line}" for line in board.settings_lines(bed, staff, chosen)))

request = board.BuildRequest(ds.label, bed, staff, tuple(saved[n] for n in chosen), trust)
if st.button("Build the board pack", type="primary", icon=":material/picture_as_pdf:", key="board_build"):
    st.session_state["board_request"] = request
built = st.session_state.get("board_request")
if built is None or built.source != ds.label:
    st.info("Press **Build the board pack** to make the files (up to a minute the first time).",
            icon=":material/info:")
    st.stop()
if built != request:  # a setting changed since the last press: keep the built files, say so
    st.info("Settings have changed since this pack was built; press **Build the board pack** to update it.",
            icon=":material/update:")

try:
    files = board.build_board_pack(ds.frame, built.bed, built.staff, built.scenarios, trust=built.trust,
                                   source=ds.label, synthetic=ds.source.startswith("sample"))
except board.PackUnavailable as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

st.success(f"Built: {files.pages} PDF pages and {files.charts + 2} slides ({files.charts} charts).",
           icon=":material/check_circle:")
for note in files.notes:
    st.warning(note, icon=":material/warning:")
a, b, c, d = st.columns(4)
a.download_button("Board pack (PDF)", files.pdf, f"{files.stem}.pdf", "application/pdf", key="board_pdf",
                  icon=":material/picture_as_pdf:", type="primary")
b.download_button("Slides (PowerPoint)", files.pptx, f"{files.stem}.pptx",
                  "application/vnd.openxmlformats-officedocument.presentationml.presentation", key="board_pptx",
                  icon=":material/slideshow:")
c.download_button("Tables (Excel)", files.xlsx, f"{files.stem}.xlsx",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="board_xlsx",
                  icon=":material/table_view:")
d.download_button("Charts (PNG, zip)", files.charts_zip, f"{files.stem}_charts.zip", "application/zip",
                  key="board_zip", icon=":material/image:")
