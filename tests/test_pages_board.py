"""The Board pack page (AppTest): opens cleanly, and one click gives the PDF, PowerPoint, Excel and chart zip."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _download_labels(at) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


@pytest.fixture(scope="module")
def served():
    """Every file the app hands to Streamlit's media store, by download file name (AppTest drops its store)."""
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            files[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    mp = pytest.MonkeyPatch()
    mp.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    yield files
    mp.undo()


@pytest.fixture(scope="module")
def board_page(served):
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/board_pack.py").run()
    return at


def test_board_page_opens_with_settings_and_one_button(board_page):
    at = board_page
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["Board pack"]
    assert at.text_input(key="board_trust").value == "Sample acute trust (synthetic)"
    assert at.multiselect(key="board_scenarios").options == []
    assert at.button(key="board_build").label == "Build the board pack"
    text = " ".join(m.value for m in at.markdown)
    assert "Horizon: 90 days" in text and "Scenarios compared with the baseline: none" in text
    assert not _download_labels(at)


@pytest.mark.slow  # about 32 s on 2 cores: every series forecast, beds, staffing and 19 charts drawn
def test_build_gives_pdf_pptx_xlsx_and_zip(board_page, served):
    at = board_page
    at.button(key="board_build").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("Built: ") and "(19 charts)" in at.success[0].value
    assert _download_labels(at) == ["Board pack (PDF)", "Slides (PowerPoint)", "Tables (Excel)",
                                    "Charts (PNG, zip)"]
    stem = "board_pack_sample_acute_trust_synthetic_data_to_20251031"
    pdf, pptx = served[f"{stem}.pdf"], served[f"{stem}.pptx"]
    assert pdf.startswith(b"%PDF") and len(pdf) > 100_000
    assert pptx[:2] == b"PK" and served[f"{stem}.xlsx"][:2] == b"PK"
    with zipfile.ZipFile(io.BytesIO(served[f"{stem}_charts.zip"])) as zf:
        assert len(zf.namelist()) == 19
    from pptx import Presentation
    assert len(Presentation(io.BytesIO(pptx)).slides) == 2 + 19
    # a later change keeps the built files and says they are out of date, instead of rebuilding
    at.text_input(key="board_trust").set_value("Worcestershire Acute Hospitals NHS Trust").run()
    assert not at.exception
    assert any("Settings have changed since this pack was built" in i.value for i in at.info)
    assert at.success[0].value.startswith("Built: ")
