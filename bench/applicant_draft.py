"""What the load test's applicant types into the draft form: the project, and both offerings of
the call for its whole service period. Shared by bench/load.py and bench/locustfile.py."""

# The form's steps the applicant fills in, in order (each saved with its "next" button); the
# organisation and priority steps are left as they are, and the review page has the submit button.
DRAFT_STEPS = ("project", "resources", "documents")


def step_url(application_path: str, step: str) -> str:
    """``/applications/7/edit/`` and ``project`` → ``/applications/7/edit/project/``."""
    return f"{application_path}{step}/"


def step_values(form_field_names: list[str], values: dict[str, str]) -> dict[str, str]:
    """What the applicant types into one step's form: the values of its own fields, and of the
    resource rows added on the page (the resources step, whose form has ``items-TOTAL_FORMS``)."""
    names = set(form_field_names)
    rows = "items-TOTAL_FORMS" in names
    return {name: value for name, value in values.items() if name in names or (rows and name.startswith("items-"))}


def draft_values(call: dict) -> dict[str, str]:
    """``call`` as in the load plan: ``{"id": …, "items": [{"offering", "quantity", "starts_on", "ends_on"}]}``."""
    values = {
        "purpose": "training",
        "project_title": "제조 공정 결함 탐지 모델 학습",
        "summary": "생산 라인 영상으로 결함 탐지 모델을 학습합니다.",
        "plan": "1단계 데이터 정제, 2단계 모델 학습, 3단계 현장 검증.",
        "expected_outcome": "불량률 20% 감소.",
        "industry_domain": "automotive",
    }
    # The rows beyond the first are added with "add a resource" (the page's script), as a person does.
    values["items-TOTAL_FORMS"] = str(len(call["items"]))
    for n, item in enumerate(call["items"]):
        values.update(
            {
                f"items-{n}-offering": str(item["offering"]),
                f"items-{n}-quantity": str(item["quantity"]),
                f"items-{n}-starts_on": item["starts_on"],
                f"items-{n}-ends_on": item["ends_on"],
            }
        )
    return values
