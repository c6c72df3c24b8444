"""Issue 20, item 4: an official document is never printed incomplete by accident. The school's
header data (governing body, place name, principal) is a step of the setup checklist, and a page
offering a document names what is missing before anything is downloaded."""

import re

from sponsor_app.documents.model import missing_header_fields


def _step(page: str) -> str:
    """The checklist's first item (the school's header data), as text."""
    start = page.index("Thông tin trường in trên văn bản")
    item = page[start:page.index("</li>", start)]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item))


def test_checklist_names_the_missing_header_data_until_it_is_filled(admin_client, world, db):
    school = world.school
    school.governing_body, school.place_name, school.principal_name = None, "  ", None
    db.session.commit()
    step = _step(admin_client.get("/home/admin").get_data(as_text=True))
    assert "cần làm" in step and "xong" not in step
    assert "Còn trống: Cơ quan chủ quản, Địa danh ghi trên văn bản, Hiệu trưởng" in step

    school.governing_body = "Sở Giáo dục và Đào tạo Đắk Nông"
    db.session.commit()
    step = _step(admin_client.get("/home/admin").get_data(as_text=True))
    assert "cần làm" in step and "Còn trống: Địa danh ghi trên văn bản, Hiệu trưởng" in step

    school.place_name, school.principal_name = "Đăk Song", "Phạm Văn Hiệu"
    db.session.commit()
    step = _step(admin_client.get("/home/admin").get_data(as_text=True))
    assert "xong" in step and "cần làm" not in step and "Còn trống" not in step


def test_missing_header_fields_reads_blank_as_missing(world):
    school = world.school
    school.governing_body, school.place_name, school.principal_name = "Sở GD&ĐT", "\t", ""
    assert missing_header_fields(school) == ["Địa danh ghi trên văn bản", "Hiệu trưởng"]


def test_the_document_page_warns_before_download(leader_client, world, db):
    world.school.principal_name = None
    db.session.commit()
    page = leader_client.get("/assignments/official-list").get_data(as_text=True)
    warning = page[page.index("Văn bản chưa đủ thông tin"):]
    assert "còn trống" in warning[:400] and "Hiệu trưởng" in warning[:400]
    assert page.index("Văn bản chưa đủ thông tin") < page.index('class="doc-part')  # above the document
    world.school.principal_name, world.school.place_name = "Phạm Văn Hiệu", "Đăk Song"
    world.school.governing_body = "Sở GD&ĐT Đắk Nông"
    db.session.commit()
    assert "Văn bản chưa đủ thông tin" not in leader_client.get("/assignments/official-list").get_data(as_text=True)


def test_the_print_view_prints_only_the_document(leader_client, world):
    """The page's own controls (buttons, the plan-number form, the warnings) and the app's chrome
    (navigation, the language switcher in the footer) are hidden when printing (document.css)."""
    from pathlib import Path

    css = (Path(__file__).resolve().parent.parent / "sponsor_app/static/css/document.css").read_text()
    rule = css[css.index("@media print"):]
    rule = rule[:rule.index("}\n}") + 3]
    for selector in ("nav.navbar", "body > footer", ".d-print-none", "main > .alert"):
        assert selector in rule
    page = leader_client.get("/assignments/official-list").get_data(as_text=True)
    assert "css/document.css" in page
    controls = page[page.index('<div class="d-print-none">'):page.index('class="doc-part')]
    assert "Tải PDF" in controls and "plan_number" in controls
