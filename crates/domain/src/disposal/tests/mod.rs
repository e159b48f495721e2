//! Unit tests of the disposal rules: profiles, deadlines and the order of steps.

use super::*;
use crate::calendar::parse_holiday_csv;
use crate::rules::{parse_profile_file, PlanKind};
use StepKind as K;

mod closing;

/// The official calendar as shipped (src/seed/holidays.csv), with the years that
/// src/seed/calendar_years.csv declares loaded (2024 to 2026).
fn cal() -> WorkCalendar {
    let rows = parse_holiday_csv(include_str!("../../../../../src/seed/holidays.csv")).unwrap();
    let years: Vec<i32> = include_str!("../../../../../src/seed/calendar_years.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next()?.trim().parse().ok())
        .collect();
    assert!(years.contains(&2025) && years.contains(&2026));
    WorkCalendar::new(rows.into_iter().map(|(d, k, _)| (d, k)), years)
}

fn shipped(file: &str, text: &str, kind: PlanKind) -> RuleProfile {
    parse_profile_file(file, text)
        .unwrap()
        .into_iter()
        .find(|p| p.plan_kind == kind)
        .unwrap()
}

fn food() -> RuleProfile {
    shipped(
        "food.toml",
        include_str!("../../../../../src/seed/rules/food.toml"),
        PlanKind::Supervision,
    )
}

fn food_risk() -> RuleProfile {
    shipped(
        "food.toml",
        include_str!("../../../../../src/seed/rules/food.toml"),
        PlanKind::RiskMonitoring,
    )
}

fn drug() -> RuleProfile {
    shipped(
        "drug.toml",
        include_str!("../../../../../src/seed/rules/drug.toml"),
        PlanKind::Supervision,
    )
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A Beijing local time ("2025-09-29 10:00") as the naive UTC time stored.
fn bj(s: &str) -> NaiveDateTime {
    add_hours(
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
        -8,
    )
}

fn ev(kind: StepKind, at: &str) -> Event {
    Event::new(kind, bj(at))
}

#[test]
fn the_profile_says_which_steps_start_disposal() {
    let mut p = food();
    let mut case = Case::new(bj("2026-03-02 09:30"));
    case.events
        .push(ev(K::AuthorityReported, "2026-03-02 16:00"));
    case.events.push(ev(K::PenaltyDecided, "2026-03-05 10:00"));
    case.events.push(ev(K::RiskControlled, "2026-03-06 10:00"));
    // As shipped: risk control (03-06) starts it; a penalty does not.
    assert_eq!(started_by(&p), DEFAULT_STARTED_BY.to_vec());
    assert_eq!(started_on(&p, &case), Some(d("2026-03-06")));
    // A profile that counts a penalty decision as the start.
    for r in p
        .rules
        .iter_mut()
        .filter(|r| r.key == "disposal_started_by")
    {
        r.value = serde_json::json!(["penalty_decided", "no_such_step"]);
    }
    assert_eq!(started_by(&p), vec![K::PenaltyDecided]);
    assert_eq!(started_on(&p, &case), Some(d("2026-03-05")));
    // Without the rule, the default.
    p.rules.retain(|r| r.key != "disposal_started_by");
    assert_eq!(started_on(&p, &case), Some(d("2026-03-06")));
}

/// A far-off "now" for checks that are not about the future.
fn later() -> NaiveDateTime {
    bj("2027-06-30 12:00")
}

fn line(lines: &[DueLine], step: StepKind) -> &DueLine {
    lines
        .iter()
        .find(|l| l.step == step)
        .unwrap_or_else(|| panic!("no line for {step}"))
}

fn steps(lines: &[DueLine]) -> Vec<StepKind> {
    lines.iter().map(|l| l.step).collect()
}

/// Records each event through `check_event`, failing the test on a refusal.
fn case_with(opened: &str, events: &[Event]) -> Case {
    let (p, c) = (food(), cal());
    let mut case = Case::new(bj(opened));
    for e in events {
        case.record(&p, &c, e.clone(), later())
            .unwrap_or_else(|err| panic!("{:?} refused: {err}", e.kind));
    }
    case
}

/// Opened 2025-09-29 10:00 (Mon) and served 2025-10-10 10:00 (Fri).
fn served_national_day() -> Case {
    case_with(
        "2025-09-29 10:00",
        &[
            ev(K::AuthorityReported, "2025-09-30 09:00"),
            ev(K::EntityNotified, "2025-10-10 10:00"),
        ],
    )
}

#[test]
fn the_local_date_is_utc_plus_eight_hours() {
    let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    assert_eq!(local_date(t("2025-09-28 15:59")), d("2025-09-28"));
    assert_eq!(local_date(t("2025-09-28 16:00")), d("2025-09-29"));
    assert_eq!(local_date(bj("2025-09-29 00:30")), d("2025-09-29"));
}

#[test]
fn step_kinds_round_trip_and_have_labels() {
    assert_eq!(StepKind::ALL.len(), 15);
    for k in StepKind::ALL {
        assert_eq!(k.as_str().parse::<StepKind>(), Ok(*k));
        assert!(!k.label_zh().is_empty() && !k.label_en().is_empty());
    }
    assert_eq!(K::RiskControlled.label_zh(), "风险控制（下架/封存）");
    assert_eq!(K::RecheckAccepted.as_str(), "recheck_accepted");
    assert!("recall".parse::<StepKind>().is_err());
}

#[test]
fn rule_texts_read_as_people_write_them() {
    assert_eq!(rule_text_zh(5, RuleUnit::WorkingDays), "5 个工作日");
    assert_eq!(rule_text_zh(90, RuleUnit::Days), "90 日");
    assert_eq!(rule_text_zh(48, RuleUnit::Hours), "48 小时");
    assert_eq!(rule_text_en(5, RuleUnit::WorkingDays), "5 working days");
    assert_eq!(rule_text_en(1, RuleUnit::Days), "1 day");
}

/// Shipped calendar, National Day 2025: 09-28 (Sun) worked, 10-01..10-08 off,
/// 10-11 (Sat) worked. Opened Monday 2025-09-29:
/// - report to the bureau, 2 WD: 09-30, 10-09 → 2025-10-09;
/// - service, 5 WD: 09-30, 10-09, 10-10, 10-11 (adjusted Saturday), 10-13
///   → 2025-10-13;
/// - completion, 90 calendar days: 09-29 + 90 → 2025-12-28.
#[test]
fn deadlines_skip_the_2025_national_day_break_and_count_its_working_saturday() {
    let case = Case::new(bj("2025-09-29 10:00"));
    let lines = deadlines(&food(), &cal(), &case);
    assert_eq!(
        steps(&lines),
        vec![K::AuthorityReported, K::EntityNotified, K::Closed],
        "no window before service"
    );
    let report = line(&lines, K::AuthorityReported);
    assert_eq!(report.due_on, d("2025-10-09"));
    assert_eq!(report.rule_key, "lab_reports_non_compliant");
    assert_eq!(report.rule_zh, "2 个工作日");
    let serve = line(&lines, K::EntityNotified);
    assert_eq!(serve.due_on, d("2025-10-13"));
    assert!(!serve.provisional && !serve.window && serve.due_at.is_none());
    assert_eq!(serve.rule_zh, "5 个工作日");
    assert!(serve.basis.contains("第二十九条"), "{}", serve.basis);
    let close = line(&lines, K::Closed);
    assert_eq!(close.due_on, d("2025-12-28"));
    assert_eq!(
        (close.rule_zh.as_str(), close.unit),
        ("90 日", RuleUnit::Days)
    );
    assert!(!close.extended);
}

/// A case opened at 2025-09-28 17:00 UTC is 09-29 01:00 in Beijing: counted from
/// 09-29, not from the Sunday 09-28.
#[test]
fn deadlines_count_from_the_local_date_of_the_opening() {
    let opened = NaiveDateTime::parse_from_str("2025-09-28 17:00", "%Y-%m-%d %H:%M").unwrap();
    let lines = deadlines(&food(), &cal(), &Case::new(opened));
    assert_eq!(line(&lines, K::EntityNotified).due_on, d("2025-10-13"));
}

#[test]
fn days_left_counts_working_days_for_working_day_rules_and_days_otherwise() {
    let (c, case) = (cal(), Case::new(bj("2025-09-29 10:00")));
    let lines = deadlines(&food(), &c, &case);
    let serve = line(&lines, K::EntityNotified);
    // From a holiday (10-01): 10-09, 10-10, 10-11 (adjusted Saturday), 10-13 are
    // left; from 10-09 only 10-10, 10-11 and 10-13.
    let table = [
        ("2025-09-29", 5),
        ("2025-10-01", 4),
        ("2025-10-09", 3),
        ("2025-10-13", 0),
        ("2025-10-14", -1),
        ("2025-10-20", -5),
    ];
    for (today, left) in table {
        assert_eq!(serve.days_left(&c, d(today)), left, "today {today}");
    }
    let close = line(&lines, K::Closed);
    assert_eq!(close.days_left(&c, d("2025-12-01")), 27);
    assert_eq!(close.days_left(&c, d("2025-12-30")), -2);
}

#[test]
fn a_duty_is_overdue_after_its_day_until_it_is_done() {
    let c = cal();
    let mut case = Case::new(bj("2025-09-29 10:00"));
    let serve = line(&deadlines(&food(), &c, &case), K::EntityNotified).clone();
    assert!(!serve.overdue(bj("2025-10-13 23:59")));
    assert!(serve.overdue(bj("2025-10-14 00:00")));
    case.events.push(ev(K::EntityNotified, "2025-10-14 09:00"));
    let serve = line(&deadlines(&food(), &c, &case), K::EntityNotified).clone();
    assert_eq!(serve.done_at, Some(bj("2025-10-14 09:00")));
    assert!(!serve.overdue(bj("2025-10-20 00:00")));
    assert!(serve.done_late());
}

/// Served Friday 2025-10-10: 7 WD are 10-11 (adjusted Saturday), 10-13, 10-14,
/// 10-15, 10-16, 10-17, 10-20 → both windows close on 2025-10-20.
#[test]
fn windows_open_at_service_and_never_become_overdue() {
    let c = cal();
    let case = served_national_day();
    let lines = deadlines(&food(), &c, &case);
    for step in [K::RecheckRequested, K::ObjectionFiled] {
        let w = line(&lines, step);
        assert_eq!(w.due_on, d("2025-10-20"), "{step}");
        assert!(w.window);
        assert_eq!(w.days_left(&c, d("2025-10-10")), 7);
        assert!(!w.overdue(bj("2025-11-01 12:00")));
    }
    assert_eq!(
        line(&lines, K::RecheckRequested).rule_key,
        "recheck_request_window"
    );
    assert_eq!(line(&lines, K::ObjectionFiled).rule_key, "objection_window");
}

/// Spring Festival 2026: 02-14 (Sat) worked, 02-15..02-23 off, 02-28 (Sat) worked.
/// Opened Thursday 2026-02-12:
/// - report, 2 WD: 02-13, 02-14 (adjusted Saturday) → 2026-02-14;
/// - service, 5 WD: 02-13, 02-14, 02-24, 02-25, 02-26 → 2026-02-26;
/// - completion, 90 days → 2026-05-13.
///
/// Served 2026-02-13: the 7 WD window is 02-14, 02-24, 02-25, 02-26, 02-27, 02-28
/// (adjusted Saturday), 03-02 → 2026-03-02.
#[test]
fn deadlines_skip_the_2026_spring_festival() {
    let c = cal();
    let mut case = Case::new(bj("2026-02-12 15:00"));
    let lines = deadlines(&food(), &c, &case);
    assert_eq!(line(&lines, K::AuthorityReported).due_on, d("2026-02-14"));
    assert_eq!(line(&lines, K::EntityNotified).due_on, d("2026-02-26"));
    assert_eq!(line(&lines, K::Closed).due_on, d("2026-05-13"));
    case.events.push(ev(K::EntityNotified, "2026-02-13 11:00"));
    let lines = deadlines(&food(), &c, &case);
    assert_eq!(line(&lines, K::RecheckRequested).due_on, d("2026-03-02"));
    assert_eq!(
        line(&lines, K::EntityNotified).done_at,
        Some(bj("2026-02-13 11:00"))
    );
}

#[test]
fn a_request_on_the_last_day_of_its_window_is_in_time_and_the_next_day_is_late() {
    let (p, c) = (food(), cal());
    let case = served_national_day();
    let table = [
        (K::RecheckRequested, "2025-10-20 23:59", None),
        (
            K::RecheckRequested,
            "2025-10-21 00:00",
            Some(d("2025-10-20")),
        ),
        (
            K::RecheckRequested,
            "2025-10-21 09:00",
            Some(d("2025-10-20")),
        ),
        (K::ObjectionFiled, "2025-10-20 16:00", None),
        (K::ObjectionFiled, "2025-10-22 10:00", Some(d("2025-10-20"))),
        (K::RecheckRequested, "2025-10-10 10:00", None),
    ];
    for (kind, at, late) in table {
        let got = check_event(&p, &c, &case, &ev(kind, at), later());
        let want = match late {
            None => Ok(()),
            Some(deadline) => Err(EventError::Late { kind, deadline }),
        };
        assert_eq!(got, want, "{kind} at {at}");
    }
}

#[test]
fn the_late_message_names_the_deadline_in_both_languages() {
    let err = EventError::Late {
        kind: K::RecheckRequested,
        deadline: d("2025-10-20"),
    };
    assert!(
        err.message_zh().contains("2025-10-20"),
        "{}",
        err.message_zh()
    );
    assert!(err.message_zh().contains("申请复检"));
    assert!(
        err.message_en().contains("2025-10-20"),
        "{}",
        err.message_en()
    );
    assert!(!err.is_conflict());
}

#[test]
fn a_window_counted_through_an_unloaded_year_never_refuses() {
    let (p, c) = (food(), cal());
    assert!(!c.is_known_year(2027));
    let case = case_with(
        "2026-12-24 10:00",
        &[ev(K::EntityNotified, "2026-12-28 10:00")],
    );
    let w = line(&deadlines(&p, &c, &case), K::RecheckRequested).clone();
    assert!(w.provisional);
    let late_looking = ev(K::RecheckRequested, "2027-01-20 10:00");
    assert_eq!(check_event(&p, &c, &case, &late_looking, later()), Ok(()));
}

#[test]
fn events_in_the_future_or_before_the_opening_are_refused() {
    let (p, c) = (food(), cal());
    let case = Case::new(bj("2025-09-29 10:00"));
    let now = bj("2025-10-09 12:00");
    let future = ev(K::AuthorityReported, "2025-10-09 12:01");
    assert_eq!(
        check_event(&p, &c, &case, &future, now),
        Err(EventError::Future {
            kind: K::AuthorityReported,
            at: bj("2025-10-09 12:01")
        })
    );
    let early = ev(K::AuthorityReported, "2025-09-29 09:59");
    let err = check_event(&p, &c, &case, &early, now).unwrap_err();
    assert_eq!(
        err,
        EventError::BeforeOpen {
            kind: K::AuthorityReported,
            opened_at: bj("2025-09-29 10:00")
        }
    );
    assert!(
        err.message_zh().contains("2025-09-29 10:00"),
        "{}",
        err.message_zh()
    );
    assert!(!err.is_conflict());
    for at in ["2025-09-29 10:00", "2025-10-09 12:00"] {
        let ok = ev(K::AuthorityReported, at);
        assert_eq!(check_event(&p, &c, &case, &ok, now), Ok(()), "{at}");
    }
}

#[test]
fn steps_out_of_order_are_refused() {
    let (p, c) = (food(), cal());
    let served = served_national_day();
    let requested = case_with(
        "2025-09-29 10:00",
        &[
            ev(K::EntityNotified, "2025-10-10 10:00"),
            ev(K::RecheckRequested, "2025-10-13 10:00"),
        ],
    );
    let refused = case_with(
        "2025-09-29 10:00",
        &[
            ev(K::EntityNotified, "2025-10-10 10:00"),
            ev(K::RecheckRequested, "2025-10-13 10:00"),
            ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(false),
        ],
    );
    let concluded = case_with(
        "2025-09-29 10:00",
        &[
            ev(K::EntityNotified, "2025-10-10 10:00"),
            ev(K::RecheckRequested, "2025-10-13 10:00"),
            ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true),
            ev(K::RecheckResult, "2025-10-24 10:00").with_upheld(true),
        ],
    );
    let fresh = Case::new(bj("2025-09-29 10:00"));
    let order = |kind, needs| Err(EventError::Order { kind, needs });
    let table: Vec<(&str, &Case, Event, Result<(), EventError>)> = vec![
        (
            "request before service",
            &fresh,
            ev(K::RecheckRequested, "2025-10-09 10:00"),
            order(K::RecheckRequested, K::EntityNotified),
        ),
        (
            "objection dated before service",
            &served,
            ev(K::ObjectionFiled, "2025-10-09 10:00"),
            order(K::ObjectionFiled, K::EntityNotified),
        ),
        (
            "acceptance without a request",
            &served,
            ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true),
            order(K::RecheckAccepted, K::RecheckRequested),
        ),
        (
            "acceptance dated before the request",
            &requested,
            ev(K::RecheckAccepted, "2025-10-12 10:00").with_accepted(true),
            order(K::RecheckAccepted, K::RecheckRequested),
        ),
        (
            "result without an accepted request",
            &requested,
            ev(K::RecheckResult, "2025-10-24 10:00").with_upheld(true),
            order(K::RecheckResult, K::RecheckAccepted),
        ),
        (
            "result after a refused request",
            &refused,
            ev(K::RecheckResult, "2025-10-24 10:00").with_upheld(true),
            Err(EventError::RecheckRefused),
        ),
        (
            "a second result",
            &concluded,
            ev(K::RecheckResult, "2025-10-25 10:00").with_upheld(false),
            Err(EventError::Repeated {
                kind: K::RecheckResult,
            }),
        ),
        (
            "a second request",
            &requested,
            ev(K::RecheckRequested, "2025-10-14 10:00"),
            Err(EventError::Repeated {
                kind: K::RecheckRequested,
            }),
        ),
        (
            "objection decided without an objection",
            &served,
            ev(K::ObjectionDecided, "2025-10-14 10:00").with_upheld(true),
            order(K::ObjectionDecided, K::ObjectionFiled),
        ),
        (
            "recall completed without a start",
            &served,
            ev(K::RecallCompleted, "2025-10-14 10:00"),
            order(K::RecallCompleted, K::RecallStarted),
        ),
        (
            "reopening an open case",
            &served,
            ev(K::Reopened, "2025-10-14 10:00"),
            order(K::Reopened, K::Closed),
        ),
        (
            "acceptance after a request",
            &requested,
            ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true),
            Ok(()),
        ),
    ];
    for (what, case, event, want) in table {
        let got = check_event(&p, &c, case, &event, later());
        assert_eq!(got, want, "{what}");
        if let Err(e) = got {
            assert!(e.is_conflict(), "{what}");
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
        }
    }
}

#[test]
fn details_must_fit_the_step() {
    let (p, c) = (food(), cal());
    let case = case_with(
        "2025-09-29 10:00",
        &[
            ev(K::EntityNotified, "2025-10-10 10:00"),
            ev(K::RecheckRequested, "2025-10-13 10:00"),
        ],
    );
    let detail = |kind, field, problem| {
        Err(EventError::Detail {
            kind,
            field,
            problem,
        })
    };
    let table = [
        // API.md's body: the step alone means the request was accepted.
        (ev(K::RecheckAccepted, "2025-10-14 10:00"), Ok(())),
        (
            ev(K::RiskControlled, "2025-10-14 10:00").with_upheld(true),
            detail(K::RiskControlled, "upheld", DetailProblem::NotAllowed),
        ),
        (
            ev(K::RecallStarted, "2025-10-14 10:00"),
            detail(K::RecallStarted, "recall_level", DetailProblem::Missing),
        ),
        (
            ev(K::RecallStarted, "2025-10-14 10:00").with_recall_level(4),
            detail(K::RecallStarted, "recall_level", DetailProblem::Missing),
        ),
        (
            ev(K::RecallStarted, "2025-10-14 10:00").with_recall_level(3),
            Ok(()),
        ),
    ];
    for (event, want) in table {
        let got = check_event(&p, &c, &case, &event, later());
        assert_eq!(got, want, "{:?}", event);
        if let Err(e) = got {
            assert!(!e.is_conflict());
        }
    }
}
