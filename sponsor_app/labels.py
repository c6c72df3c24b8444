"""Translatable labels for enum values and calendar keys (shared by templates, forms, exports)."""

from flask_babel import lazy_gettext as _l

from .models import (
    ConcernKind,
    ContactChannel,
    ContactMethod,
    CriterionKind,
    EscalationStatus,
    ReferralStatus,
    RiskLevel,
    Role,
    ScreeningStatus,
    ServiceKind,
    StudentStatus,
)

ROLE_LABELS = {
    Role.ADMIN: _l("Quản trị"),
    Role.LEADER: _l("Ban giám hiệu"),
    Role.DEPT_HEAD: _l("Tổ trưởng"),
    Role.UNION: _l("BCH Công đoàn"),
    Role.TEACHER: _l("Giáo viên"),
}

STATUS_LABELS = {
    StudentStatus.ENROLLED: _l("Đang học"),
    StudentStatus.TRANSFERRED: _l("Chuyển trường"),
    StudentStatus.DROPPED_OUT: _l("Bỏ học"),
    StudentStatus.GRADUATED: _l("Đã ra trường"),
}

MILESTONE_LABELS = {
    "pledge": _l("Hạn đăng ký nhận đỡ đầu"),
    "screening": _l("Rà soát, khảo sát học sinh"),
    "assignment": _l("Hạn phân công GV đỡ đầu"),
    "report1": _l("Hạn báo cáo học kỳ I"),
    "semester1_end": _l("Kết thúc học kỳ I"),
    "report2": _l("Hạn báo cáo cuối năm"),
}


FLAG_LABELS = {
    "poor_household": _l("Hộ nghèo"),
    "near_poor_household": _l("Hộ cận nghèo"),
    "orphan": _l("Mồ côi"),
    "parents_ill": _l("Cha mẹ ốm đau, không có khả năng lao động"),
    "parents_away": _l("Cha mẹ đi làm ăn xa"),
    "family_breakdown": _l("Gia đình ly tán"),
    "disability": _l("Khuyết tật"),
    "ethnic_minority": _l("Dân tộc thiểu số"),
    "far_from_school": _l("Nhà xa trường, ở trọ hoặc bán trú"),
    "works_for_school": _l("Phải đi làm thêm để có tiền đi học"),
    "other_circumstance": _l("Hoàn cảnh khác"),
}

LEVEL_LABELS = {RiskLevel.HIGH: _l("cao"), RiskLevel.MEDIUM: _l("trung bình"), RiskLevel.LOW: _l("thấp")}

SCREENING_STATUS_LABELS = {
    ScreeningStatus.PROPOSED: _l("Đề xuất"),
    ScreeningStatus.VERIFIED: _l("Đã xác minh"),
    ScreeningStatus.APPROVED: _l("Được duyệt đỡ đầu"),
    ScreeningStatus.NOT_NEEDED: _l("Không cần đỡ đầu"),
}

CATEGORY_LABELS = {
    "hardship": _l("Khó khăn về kinh tế, gia cảnh"),
    "conduct": _l("Rèn luyện/hạnh kiểm yếu"),
    "academic": _l("Học tập/học lực yếu, kém"),
    "dropout": _l("Nguy cơ bỏ học giữa chừng"),
}

CHANNEL_LABELS = {
    ContactChannel.FAMILY: _l("Gia đình"),
    ContactChannel.STUDENT: _l("Bản thân học sinh"),
    ContactChannel.RELATIONSHIPS: _l("Các mối quan hệ của học sinh"),
}

METHOD_LABELS = {
    ContactMethod.HOME_VISIT: _l("Thăm nhà"),
    ContactMethod.PHONE: _l("Điện thoại"),
    ContactMethod.MEETING: _l("Gặp trực tiếp"),
    ContactMethod.MESSAGE: _l("Tin nhắn (Zalo, SMS)"),
}

CRITERION_KIND_LABELS = {
    CriterionKind.FLAG: _l("Hoàn cảnh (tên hoàn cảnh)"),
    CriterionKind.ABSENCES: _l("Số buổi nghỉ từ (số buổi)"),
    CriterionKind.CONDUCT: _l("Rèn luyện thuộc (các mức, ngăn bằng |)"),
    CriterionKind.LEARNING: _l("Học tập thuộc (các mức, ngăn bằng |)"),
}


# The strategy menu of support plans (key → label); free text is always possible too.
STRATEGY_LABELS = {
    "hoc_bu": _l("Học bù, phụ đạo"),
    "tham_nha": _l("Thăm nhà"),
    "tu_van": _l("Tư vấn, trò chuyện"),
    "ho_tro_vat_chat": _l("Hỗ trợ vật chất"),
    "ket_noi_gia_dinh": _l("Kết nối gia đình"),
    "ban_hoc_tap": _l("Đôi bạn, nhóm học tập"),
    "theo_doi_chuyen_can": _l("Theo dõi chuyên cần"),
    "hoat_dong_tap_the": _l("Tham gia hoạt động tập thể"),
    "ket_noi_dia_phuong": _l("Kết nối chính quyền, đoàn thể địa phương"),
}

HORIZON_LABELS = {"semester": _l("Mục tiêu học kỳ"), "month": _l("Mục tiêu tháng"), "week": _l("Việc làm tuần")}
DOMAIN_LABELS = {"learning": _l("Học tập"), "conduct": _l("Rèn luyện")}
PLAN_STATUS_LABELS = {
    "draft": _l("Đang soạn"),
    "submitted": _l("Chờ tổ trưởng duyệt"),
    "approved": _l("Đã duyệt"),
    "changes_requested": _l("Cần bổ sung"),
}

# Monthly notes.
RATING_LABELS = {"progress": _l("Tiến bộ"), "steady": _l("Giữ vững"), "decline": _l("Sa sút")}
TREND_LABELS = {"better": _l("Tốt hơn"), "same": _l("Như tháng trước"), "worse": _l("Kém đi")}
CONTACT_WITH_LABELS = {
    "student": _l("Học sinh"),
    "family": _l("Gia đình"),
    "subject_teacher": _l("GV bộ môn"),
    "homeroom": _l("GV chủ nhiệm"),
}
NOTE_METHOD_LABELS = {
    "meeting": _l("Gặp trực tiếp"),
    "home_visit": _l("Thăm nhà"),
    "phone": _l("Điện thoại"),
    "message": _l("Tin nhắn (Zalo, SMS)"),
}
TARGET_PROGRESS_LABELS = {"achieved": _l("Đạt"), "partly": _l("Đạt một phần"), "not_yet": _l("Chưa đạt")}
SUPPORT_KIND_LABELS = {
    "hoc_bong": _l("Học bổng, tiền mặt"),
    "do_dung": _l("Sách vở, đồ dùng học tập"),
    "quan_ao": _l("Quần áo, đồng phục"),
    "xe_dap": _l("Xe đạp, phương tiện đi học"),
    "bua_an": _l("Bữa ăn, gạo, thực phẩm"),
    "hoc_phi": _l("Miễn, giảm, hỗ trợ học phí"),
    "hoc_bu": _l("Dạy kèm, học bù miễn phí"),
    "khac": _l("Hỗ trợ khác"),
}
NOTE_STATE_LABELS = {
    "done": _l("Đã gửi"),
    "late_done": _l("Gửi muộn"),
    "draft": _l("Đang soạn"),
    "due": _l("Chưa gửi"),
    "overdue": _l("Quá hạn"),
    "locked_missing": _l("Thiếu (đã khoá sổ)"),
    "upcoming": _l("Chưa đến tháng"),
}
NOTE_STATE_STYLES = {
    "done": "success", "late_done": "warning", "draft": "info", "due": "secondary", "overdue": "danger",
    "locked_missing": "dark", "upcoming": "light",
}
REVIEW_STATUS_LABELS = {"pending": _l("Chờ tổ trưởng xem"), "seen": _l("Tổ trưởng đã xem"),
                        "needs_more": _l("Cần bổ sung")}
NOTE_FIELD_LABELS = {
    "absences": _l("Số buổi nghỉ trong tháng"),
    "learning_trend": _l("Học tập"),
    "conduct_trend": _l("Rèn luyện"),
    "wellbeing": _l("Sức khoẻ, tâm lý, đời sống"),
    "rating": _l("Đánh giá chung"),
    "concerns": _l("Điều lo ngại"),
    "next_steps": _l("Việc sẽ làm tháng tới"),
    "contacts": _l("Liên hệ trong tháng"),
    "supports": _l("Hỗ trợ đã trao"),
    "progress": _l("Tiến độ mục tiêu"),
}


def role_label(role) -> str:
    return str(ROLE_LABELS[Role(role)])


def status_label(status) -> str:
    return str(STATUS_LABELS[StudentStatus(status)])


def milestone_label(key: str) -> str:
    return str(MILESTONE_LABELS[key])


def level_label(level) -> str:
    return str(LEVEL_LABELS[RiskLevel(level)])


def screening_status_label(status) -> str:
    return str(SCREENING_STATUS_LABELS[ScreeningStatus(status)])


TEMPLATE_LABELS = {
    "role_label": role_label,
    "status_label": status_label,
    "milestone_label": milestone_label,
    "level_label": level_label,
    "screening_status_label": screening_status_label,
    "flag_labels": FLAG_LABELS,
    "category_labels": CATEGORY_LABELS,
    "channel_labels": CHANNEL_LABELS,
    "method_labels": METHOD_LABELS,
    "strategy_labels": STRATEGY_LABELS,
    "horizon_labels": HORIZON_LABELS,
    "domain_labels": DOMAIN_LABELS,
    "plan_status_labels": PLAN_STATUS_LABELS,
    "rating_labels": RATING_LABELS,
    "trend_labels": TREND_LABELS,
    "contact_with_labels": CONTACT_WITH_LABELS,
    "note_method_labels": NOTE_METHOD_LABELS,
    "target_progress_labels": TARGET_PROGRESS_LABELS,
    "support_kind_labels": SUPPORT_KIND_LABELS,
    "note_state_labels": NOTE_STATE_LABELS,
    "note_state_styles": NOTE_STATE_STYLES,
    "review_status_labels": REVIEW_STATUS_LABELS,
    "note_field_labels": NOTE_FIELD_LABELS,
}


# --- escalations ---------------------------------------------------------------------------

CONCERN_KIND_LABELS = {
    ConcernKind.ABUSE: _l("Bị xâm hại, bạo hành"),
    ConcernKind.VIOLENCE: _l("Bạo lực (học đường, gia đình)"),
    ConcernKind.CRISIS: _l("Khủng hoảng tâm lý, nguy cơ tự hại"),
    ConcernKind.DROPOUT: _l("Sắp bỏ học"),
    ConcernKind.OTHER: _l("Khác"),
}

ESCALATION_STATUS_LABELS = {
    EscalationStatus.OPEN: _l("Chờ phản hồi"),
    EscalationStatus.RESPONDING: _l("Đang xử lý"),
    EscalationStatus.CLOSED: _l("Đã kết thúc"),
}

SERVICE_KIND_LABELS = {
    ServiceKind.COMMUNE: _l("UBND xã, phường"),
    ServiceKind.HOTLINE: _l("Tổng đài điện thoại"),
    ServiceKind.WOMENS_UNION: _l("Hội Liên hiệp Phụ nữ"),
    ServiceKind.HEALTH: _l("Trạm y tế, cơ sở y tế"),
    ServiceKind.POLICE: _l("Công an"),
    ServiceKind.OTHER: _l("Đơn vị khác"),
}

REFERRAL_STATUS_LABELS = {
    ReferralStatus.SENT: _l("Đã chuyển gửi"),
    ReferralStatus.ACCEPTED: _l("Đơn vị đã tiếp nhận"),
    ReferralStatus.COMPLETED: _l("Đã có kết quả"),
    ReferralStatus.DECLINED: _l("Không tiếp nhận"),
}

TEMPLATE_LABELS.update({
    "concern_kind_labels": CONCERN_KIND_LABELS,
    "escalation_status_labels": ESCALATION_STATUS_LABELS,
    "service_kind_labels": SERVICE_KIND_LABELS,
    "referral_status_labels": REFERRAL_STATUS_LABELS,
})

# --- emulation (keys are the enums' values) ---
CRITERION_SOURCE_LABELS = {"auto": _l("Tự động (tính từ dữ liệu)"), "manual": _l("Chấm trên phiếu"),
                           "bonus": _l("Điểm cộng"), "penalty": _l("Điểm trừ")}
SHEET_SCOPE_LABELS = {"month": _l("Phiếu tháng"), "semester": _l("Phiếu học kỳ")}
METRIC_LABELS = {
    "notes_on_time": _l("Nhận xét tháng nộp đúng hạn"),
    "signoffs": _l("Nhận xét được tổ trưởng xác nhận"),
    "family_contact": _l("Có liên hệ với gia đình trong tháng"),
    "rating_trend": _l("Đánh giá tháng của học sinh"),
    "pledged": _l("Đã đăng ký nhận đỡ đầu"),
    "plan_on_time": _l("Kế hoạch nộp đúng hạn và được duyệt"),
    "retained": _l("Học sinh duy trì đi học"),
}
# How each automatic criterion is computed, as the staff member reads it on their breakdown.
METRIC_FORMULAS = {
    "notes_on_time": _l("điểm tối đa × số nhận xét nộp đúng hạn ÷ số nhận xét phải nộp trong tháng"),
    "signoffs": _l("điểm tối đa × số nhận xét tổ trưởng đã xác nhận \"đã xem\" ÷ số nhận xét phải nộp"),
    "family_contact": _l("điểm tối đa × số nhận xét có ghi liên hệ với gia đình ÷ số nhận xét phải nộp"),
    "rating_trend": _l("điểm tối đa × (số học sinh tiến bộ + ½ × số giữ vững) ÷ số nhận xét phải nộp; sa sút "
                       "hoặc thiếu nhận xét: 0"),
    "pledged": _l("đủ điểm khi đã đăng ký nhận đỡ đầu trong năm học, nếu không: 0"),
    "plan_on_time": _l("điểm tối đa × số kế hoạch nộp đúng hạn và đã được duyệt ÷ số kế hoạch đến hạn; chưa có "
                       "kế hoạch đến hạn: đủ điểm"),
    "retained": _l("điểm tối đa × số học sinh còn đi học ÷ số học sinh được đỡ đầu trong học kỳ (không tính học "
                   "sinh chuyển trường); cuối học kỳ hoặc hôm nay nếu học kỳ chưa kết thúc"),
}
SEMESTER_METHOD_LABELS = {"mean": _l("Trung bình cộng các tháng"), "sum": _l("Cộng dồn các tháng")}
COMMENDATION_LABELS = {"praise": _l("Biểu dương"), "reward": _l("Khen thưởng")}
EVALUATION_STATUS_LABELS = {"draft": _l("Đang chấm"), "published": _l("Đã công bố"), "locked": _l("Đã duyệt, khóa")}
CONTEST_STATUS_LABELS = {"open": _l("Chờ trả lời"), "upheld": _l("Chấp nhận"), "rejected": _l("Không chấp nhận")}

TEMPLATE_LABELS.update({
    "criterion_source_labels": CRITERION_SOURCE_LABELS,
    "sheet_scope_labels": SHEET_SCOPE_LABELS,
    "metric_labels": METRIC_LABELS,
    "metric_formulas": METRIC_FORMULAS,
    "semester_method_labels": SEMESTER_METHOD_LABELS,
    "commendation_labels": COMMENDATION_LABELS,
    "evaluation_status_labels": EVALUATION_STATUS_LABELS,
    "contest_status_labels": CONTEST_STATUS_LABELS,
})

# --- the audit log: what a view or export row records (the actions of auditviews.py) ---
AUDIT_ACTION_LABELS = {
    "view_student": _l("Xem hồ sơ học sinh"),
    "view_class_list": _l("Xem danh sách học sinh của lớp"),
    "student_list_viewed": _l("Xem, tìm kiếm danh sách học sinh"),
    "home_viewed": _l("Xem trang chủ"),
    "screening_index_viewed": _l("Xem trang rà soát (đề xuất của mình, tìm học sinh)"),
    "view_screening_board": _l("Xem bảng rà soát của lớp"),
    "view_screening": _l("Xem phiếu rà soát"),
    "at_risk_list_viewed": _l("Xem danh sách học sinh có nguy cơ bỏ học"),
    "assignment_board_viewed": _l("Xem bảng phân công GV đỡ đầu"),
    "plan_viewed": _l("Xem kế hoạch giúp đỡ"),
    "plan_reviews_viewed": _l("Xem danh sách kế hoạch chờ duyệt"),
    "notes_timeline_viewed": _l("Xem các tháng nhận xét của học sinh"),
    "note_viewed": _l("Xem nhận xét tháng"),
    "note_queue_viewed": _l("Xem danh sách nhận xét chờ tổ trưởng xác nhận"),
    "attention_list_viewed": _l("Xem danh sách học sinh cần quan tâm"),
    "department_dashboard_viewed": _l("Xem trang theo dõi của tổ"),
    "department_report_viewed": _l("Xem báo cáo tháng của tổ"),
    "dashboard_viewed": _l("Xem trang tổng quan của trường"),
    "escalation_list_viewed": _l("Xem danh sách vụ việc"),
    "escalation_viewed": _l("Xem vụ việc"),
    "semester_report_viewed": _l("Xem báo cáo học kỳ"),
    "year_review_viewed": _l("Xem tổng kết năm học"),
    "rollover_viewed": _l("Xem trang chuyển sang năm học mới"),
    "export_at_risk_list": _l("Xuất danh sách học sinh có nguy cơ bỏ học"),
    "screening_sheet_exported": _l("Tải bảng rà soát của lớp (Excel)"),
    "export_attention": _l("Xuất danh sách học sinh cần quan tâm"),
    "export_teaching_template": _l("Tải tệp mẫu phân công giảng dạy"),
    "export_dashboard": _l("Xuất tổng quan của trường"),
    "export_department_report_xlsx": _l("Xuất báo cáo tháng của tổ (Excel, PDF)"),
    "export_department_report_print": _l("In báo cáo tháng của tổ"),
    "semester_report_exported": _l("Xuất báo cáo học kỳ (Excel, PDF)"),
    "semester_report_printed": _l("In báo cáo học kỳ"),
    "year_review_exported": _l("Xuất tổng kết năm học (Excel, PDF)"),
    "export_assignment_list": _l("Xuất danh sách phân công (Excel, PDF)"),
    "export_assignment_list_print": _l("In danh sách phân công"),
    "emulation_exported": _l("Xuất, in bảng thi đua"),
}
TEMPLATE_LABELS["audit_action_labels"] = AUDIT_ACTION_LABELS
