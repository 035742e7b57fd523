"""What the load test's applicant types into the draft form: the project, and both offerings of
the call for its whole service period. Shared by bench/load.py and bench/locustfile.py."""


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
