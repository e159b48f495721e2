//! Unit tests of closing, reopening, overturning, the later deadlines and the rates.

use super::*;

fn complete_steps() -> Vec<Event> {
    vec![
        ev(K::AuthorityReported, "2025-09-30 09:00"),
        ev(K::EntityNotified, "2025-10-10 10:00"),
        ev(K::RiskControlled, "2025-10-11 10:00"),
        ev(K::PenaltyDecided, "2025-11-20 10:00"),
        ev(K::Rectified, "2025-12-01 10:00"),
    ]
}

#[test]
fn closing_is_refused_while_required_steps_are_missing_and_names_them() {
    let (p, c) = (food(), cal());
    let case = served_national_day();
    let close = ev(K::Closed, "2025-12-01 10:00");
    let err = check_event(&p, &c, &case, &close, later()).unwrap_err();
    assert_eq!(
        err,
        EventError::Missing(vec![K::RiskControlled, K::PenaltyDecided, K::Rectified])
    );
    assert!(err.is_conflict());
    assert!(
        err.message_zh().contains("处罚决定"),
        "{}",
        err.message_zh()
    );
    assert!(
        err.message_en().contains("Penalty decided"),
        "{}",
        err.message_en()
    );

    // A recall, once started, must be completed; a pending re-examination and a
    // pending objection must be decided; case_filed is never added.
    let mut events = complete_steps();
    events.push(ev(K::RecallStarted, "2025-10-12 10:00").with_recall_level(2));
    events.push(ev(K::RecheckRequested, "2025-10-13 10:00"));
    events.push(ev(K::ObjectionFiled, "2025-10-13 11:00"));
    let mut case = case_with("2025-09-29 10:00", &events);
    assert_eq!(
        check_event(&p, &c, &case, &close, later()),
        Err(EventError::Missing(vec![
            K::RecallCompleted,
            K::RecheckAccepted,
            K::ObjectionDecided
        ]))
    );
    case.events
        .push(ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true));
    assert_eq!(
        missing_steps(&p, &case),
        vec![K::RecallCompleted, K::RecheckResult, K::ObjectionDecided]
    );
    assert!(!required_steps(&p, &case).contains(&K::CaseFiled));
}

#[test]
fn a_complete_case_closes_as_completed_and_refuses_further_steps_until_reopened() {
    let (p, c) = (food(), cal());
    let mut case = case_with("2025-09-29 10:00", &complete_steps());
    assert_eq!(missing_steps(&p, &case), vec![]);
    assert_eq!((case.status(), outcome(&case)), (CaseStatus::Open, None));
    case.record(&p, &c, ev(K::Closed, "2025-12-02 10:00"), later())
        .unwrap();
    assert_eq!(case.status(), CaseStatus::Closed);
    assert_eq!(outcome(&case), Some(Outcome::Completed));
    assert_eq!(case.closed_at(), Some(bj("2025-12-02 10:00")));
    for kind in [K::Rectified, K::Closed] {
        let got = check_event(&p, &c, &case, &ev(kind, "2025-12-03 10:00"), later());
        assert_eq!(got, Err(EventError::Closed { kind }));
    }
    let before_close = ev(K::Reopened, "2025-12-01 10:00");
    assert_eq!(
        check_event(&p, &c, &case, &before_close, later()),
        Err(EventError::Order {
            kind: K::Reopened,
            needs: K::Closed
        })
    );
    case.record(&p, &c, ev(K::Reopened, "2025-12-03 10:00"), later())
        .unwrap();
    assert_eq!((case.status(), outcome(&case)), (CaseStatus::Open, None));
    assert_eq!(case.closed_at(), None);
    case.record(&p, &c, ev(K::CaseFiled, "2025-12-04 10:00"), later())
        .unwrap();
    case.record(&p, &c, ev(K::Closed, "2025-12-05 10:00"), later())
        .unwrap();
    assert_eq!(outcome(&case), Some(Outcome::Completed));
}

#[test]
fn an_overturned_case_needs_nothing_more_and_may_close_at_once() {
    let (p, c) = (food(), cal());
    let mut case = case_with(
        "2025-09-29 10:00",
        &[
            ev(K::EntityNotified, "2025-10-10 10:00"),
            ev(K::RecheckRequested, "2025-10-13 10:00"),
            ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true),
            ev(K::RecheckResult, "2025-10-24 10:00").with_upheld(false),
        ],
    );
    assert_eq!(outcome(&case), Some(Outcome::Overturned));
    assert_eq!(required_steps(&p, &case), vec![]);
    assert_eq!(missing_steps(&p, &case), vec![]);
    case.record(&p, &c, ev(K::Closed, "2025-10-24 10:05"), later())
        .unwrap();
    assert_eq!(case.status(), CaseStatus::Closed);
    assert_eq!(outcome(&case), Some(Outcome::Overturned));
    let s = summarise(&p, &c, &case, d("2026-06-30"));
    assert!(!s.needs_disposal && !s.closed_completed);
}

/// The stored standing of a case: a closing step closes it as completed, an
/// overturning re-examination closes it at once as overturned (no closing step), and
/// only a closed case that was not overturned may be reopened.
#[test]
fn a_case_stands_closed_after_closing_or_overturning_and_only_a_completed_one_reopens() {
    let (p, c) = (food(), cal());
    let mut case = case_with("2025-09-29 10:00", &complete_steps());
    assert_eq!(standing(&case), (CaseStatus::Open, None));
    assert_eq!(CaseStatus::Open.reopen(None), Err(ReopenError::NotClosed));
    case.record(&p, &c, ev(K::Closed, "2025-12-02 10:00"), later())
        .unwrap();
    let (status, result) = standing(&case);
    assert_eq!(
        (status, result),
        (CaseStatus::Closed, Some(Outcome::Completed))
    );
    assert!(!status.is_open());
    assert_eq!(status.reopen(result), Ok(CaseStatus::Open));

    let overturned = case_with(
        "2025-09-29 10:00",
        &[
            ev(K::EntityNotified, "2025-10-10 10:00"),
            ev(K::RecheckRequested, "2025-10-13 10:00"),
            ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true),
            ev(K::RecheckResult, "2025-10-24 10:00").with_upheld(false),
        ],
    );
    let (status, result) = standing(&overturned);
    assert_eq!(
        (status, result),
        (CaseStatus::Closed, Some(Outcome::Overturned))
    );
    assert_eq!(status.reopen(result), Err(ReopenError::Overturned));
    for s in CaseStatus::ALL {
        assert_eq!(s.as_str().parse::<CaseStatus>(), Ok(*s));
        assert!(!s.label_zh().is_empty() && !s.label_en().is_empty());
    }
    for o in Outcome::ALL {
        assert_eq!(o.as_str().parse::<Outcome>(), Ok(*o));
        assert!(!o.label_zh().is_empty() && !o.label_en().is_empty());
    }
}

/// Re-examination deadlines: requested Monday 2025-10-13, decided within 5 WD
/// (10-14..10-17, 10-20 → 2025-10-20); accepted 10-14, concluded within 10 WD
/// (10-15..10-17, 10-20..10-24, 10-27, 10-28 → 2025-10-28). An objection filed
/// 10-13 is decided within 5 WD → 2025-10-20. A refused request has no result line.
#[test]
fn re_examination_and_objection_deadlines_follow_their_steps() {
    let (p, c) = (food(), cal());
    let mut case = case_with(
        "2025-09-29 10:00",
        &[
            ev(K::EntityNotified, "2025-10-10 10:00"),
            ev(K::RecheckRequested, "2025-10-13 10:00"),
            ev(K::ObjectionFiled, "2025-10-13 11:00"),
        ],
    );
    let lines = deadlines(&p, &c, &case);
    assert_eq!(line(&lines, K::RecheckAccepted).due_on, d("2025-10-20"));
    assert_eq!(line(&lines, K::ObjectionDecided).due_on, d("2025-10-20"));
    assert_eq!(
        line(&lines, K::RecheckRequested).done_at,
        Some(bj("2025-10-13 10:00"))
    );
    assert!(!steps(&lines).contains(&K::RecheckResult));

    let mut refused = case.clone();
    refused
        .events
        .push(ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(false));
    assert!(!steps(&deadlines(&p, &c, &refused)).contains(&K::RecheckResult));

    case.events
        .push(ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true));
    let lines = deadlines(&p, &c, &case);
    let result = line(&lines, K::RecheckResult);
    assert_eq!(result.due_on, d("2025-10-28"));
    assert_eq!(result.rule_key, "recheck_conclusion");
    assert_eq!(
        line(&lines, K::RecheckAccepted).done_at,
        Some(bj("2025-10-14 10:00"))
    );
}

/// Level-2 recall started Tuesday 2025-10-14 09:00: the start was due 48 hours after
/// service (2025-10-10 10:00 → 2025-10-12 10:00, so it started late); it must finish
/// within 20 WD of 10-14: 10-15..10-17 (3), 10-20..10-24 (8), 10-27..10-31 (13),
/// 11-03..11-07 (18), 11-10, 11-11 (20) → 2025-11-11.
#[test]
fn a_level_two_recall_has_a_start_and_a_finish_deadline() {
    let (p, c) = (food(), cal());
    let mut case = served_national_day();
    assert!(!steps(&deadlines(&p, &c, &case)).contains(&K::RecallCompleted));
    case.record(
        &p,
        &c,
        ev(K::RecallStarted, "2025-10-14 09:00").with_recall_level(2),
        later(),
    )
    .unwrap();
    let lines = deadlines(&p, &c, &case);
    let start = line(&lines, K::RecallStarted);
    assert_eq!(start.rule_key, "recall_level2_start");
    assert_eq!(start.due_at, Some(bj("2025-10-12 10:00")));
    assert_eq!(start.due_on, d("2025-10-12"));
    assert_eq!(start.rule_zh, "48 小时");
    assert!(start.done_late());
    let finish = line(&lines, K::RecallCompleted);
    assert_eq!(finish.rule_key, "recall_level2_finish");
    assert_eq!(finish.due_on, d("2025-11-11"));
    assert_eq!(finish.rule_zh, "20 个工作日");
    assert!(!finish.overdue(bj("2025-11-11 23:00")));
    assert!(finish.overdue(bj("2025-11-12 00:00")));
    case.record(&p, &c, ev(K::RecallCompleted, "2025-11-10 10:00"), later())
        .unwrap();
    let finish = line(&deadlines(&p, &c, &case), K::RecallCompleted).clone();
    assert!(!finish.overdue(bj("2025-12-01 00:00")) && !finish.done_late());
}

#[test]
fn an_hours_deadline_is_overdue_after_its_moment() {
    let (p, c) = (food(), cal());
    let mut case = served_national_day();
    case.events
        .push(ev(K::RecallStarted, "2025-10-11 09:00").with_recall_level(1));
    let start = line(&deadlines(&p, &c, &case), K::RecallStarted).clone();
    assert_eq!(start.due_at, Some(bj("2025-10-11 10:00")));
    assert!(!start.done_late());
    let mut undone = start.clone();
    undone.done_at = None;
    assert!(!undone.overdue(bj("2025-10-11 10:00")));
    assert!(undone.overdue(bj("2025-10-11 10:01")));
}

#[test]
fn an_extension_moves_the_completion_deadline() {
    let (p, c) = (food(), cal());
    let mut case = case_with("2025-09-29 10:00", &complete_steps());
    case.events.push(ev(K::Closed, "2026-01-20 10:00"));
    let s = summarise(&p, &c, &case, d("2026-02-28"));
    assert!(s.closed_completed && !s.closed_on_time && s.deadline_passed);

    case.extended_until = Some(d("2026-01-31"));
    let close = line(&deadlines(&p, &c, &case), K::Closed).clone();
    assert_eq!(close.due_on, d("2026-01-31"));
    assert!(close.extended && !close.provisional);
    assert_eq!(close.rule_key, "disposal_completion");
    assert_eq!(close.done_at, Some(bj("2026-01-20 10:00")));
    assert!(!close.done_late());
    assert_eq!(
        completion_deadline(&p, &c, &case).map(|d| d.date),
        Some(d("2026-01-31"))
    );
    let s = summarise(&p, &c, &case, d("2026-01-25"));
    assert!(s.closed_completed && s.closed_on_time && !s.deadline_passed);
}

#[test]
fn risk_monitoring_gives_no_re_examination_or_objection() {
    let (p, c) = (food_risk(), cal());
    let mut case = Case::new(bj("2025-09-29 10:00"));
    case.record(&p, &c, ev(K::EntityNotified, "2025-10-10 10:00"), later())
        .unwrap();
    for kind in [K::RecheckRequested, K::ObjectionFiled] {
        let got = check_event(&p, &c, &case, &ev(kind, "2025-10-13 10:00"), later());
        assert_eq!(got, Err(EventError::NoRight { kind }));
    }
    let lines = deadlines(&p, &c, &case);
    assert_eq!(
        steps(&lines),
        vec![K::AuthorityReported, K::EntityNotified, K::Closed]
    );
    assert_eq!(
        required_steps(&p, &case),
        vec![K::AuthorityReported, K::EntityNotified, K::RiskControlled]
    );
}

/// Drugs: 复验 within 7 calendar days of service (served 2025-09-29 → 2025-10-06,
/// inside the holiday), and no objection at all.
#[test]
fn the_drug_re_test_window_is_counted_in_calendar_days() {
    let (p, c) = (drug(), cal());
    let case = Case {
        events: vec![ev(K::EntityNotified, "2025-09-29 15:00")],
        ..Case::new(bj("2025-09-29 10:00"))
    };
    let lines = deadlines(&p, &c, &case);
    let w = line(&lines, K::RecheckRequested);
    assert_eq!((w.due_on, w.unit), (d("2025-10-06"), RuleUnit::Days));
    assert_eq!(w.rule_zh, "7 日");
    assert_eq!(w.days_left(&c, d("2025-10-01")), 5);
    assert!(!steps(&lines).contains(&K::ObjectionFiled));
    let late = ev(K::RecheckRequested, "2025-10-07 09:00");
    assert_eq!(
        check_event(&p, &c, &case, &late, later()),
        Err(EventError::Late {
            kind: K::RecheckRequested,
            deadline: d("2025-10-06")
        })
    );
    let objection = ev(K::ObjectionFiled, "2025-10-01 09:00");
    assert_eq!(
        check_event(&p, &c, &case, &objection, later()),
        Err(EventError::NoRight {
            kind: K::ObjectionFiled
        })
    );
}

#[test]
fn a_summary_tells_started_closed_on_time_and_passed() {
    let (p, c) = (food(), cal());
    // Opened 2025-09-29: due 2025-12-28.
    let open = served_national_day();
    let s = summarise(&p, &c, &open, d("2025-12-28"));
    assert_eq!(
        s,
        CaseSummary {
            needs_disposal: true,
            ..CaseSummary::default()
        }
    );
    assert!(summarise(&p, &c, &open, d("2025-12-29")).deadline_passed);

    let mut recall = open.clone();
    recall
        .events
        .push(ev(K::RecallStarted, "2025-10-12 10:00").with_recall_level(3));
    assert!(summarise(&p, &c, &recall, d("2025-11-01")).started);

    let mut closed = case_with("2025-09-29 10:00", &complete_steps());
    closed.events.push(ev(K::Closed, "2025-12-28 23:59"));
    let s = summarise(&p, &c, &closed, d("2026-03-01"));
    assert_eq!(
        s,
        CaseSummary {
            needs_disposal: true,
            started: true,
            closed_completed: true,
            closed_on_time: true,
            deadline_passed: true,
        }
    );
}

/// Ten cases, two of them overturned (8 need disposal):
/// - disposal = started among those needing it: #1 #2 #3 #4 #5 #10 = 6/8 = 0.75;
/// - completion = closed as completed: #1 #2 #3 #10 = 4/8 = 0.5;
/// - on time = closed on time (#1 #2 #10 = 3) ÷ closed or deadline passed
///   (#1 #2 #3 #4 #6 #10 = 6) = 3/6 = 0.5.
#[test]
fn the_three_rates_on_ten_cases() {
    let s = |needs, started, closed, on_time, passed| CaseSummary {
        needs_disposal: needs,
        started,
        closed_completed: closed,
        closed_on_time: on_time,
        deadline_passed: passed,
    };
    let cases = [
        s(true, true, true, true, true),  // 1 closed on time, deadline passed
        s(true, true, true, true, false), // 2 closed early
        s(true, true, true, false, true), // 3 closed late
        s(true, true, false, false, true), // 4 open, overdue
        s(true, true, false, false, false), // 5 open, in time
        s(true, false, false, false, true), // 6 not started, overdue
        s(true, false, false, false, false), // 7 not started, in time
        s(false, true, false, false, true), // 8 overturned
        s(false, false, false, false, false), // 9 overturned
        s(true, true, true, true, false), // 10 closed early
    ];
    let r = rates(&cases);
    let got = |x: Ratio| (x.numerator, x.denominator, x.value);
    assert_eq!(got(r.disposal), (6, 8, Some(0.75)));
    assert_eq!(got(r.completion), (4, 8, Some(0.5)));
    assert_eq!(got(r.on_time), (3, 6, Some(0.5)));
    assert_eq!(r.disposal.definition_zh, DISPOSAL_RATE_ZH);
    assert_eq!(r.on_time.definition_en, ON_TIME_RATE_EN);
    assert_eq!(r.completion.key, "completion_rate");

    let none = rates(&[]);
    assert_eq!(got(none.disposal), (0, 0, None));
    assert_eq!(got(rates(&cases[7..9]).on_time), (0, 0, None));
}

#[test]
fn every_error_has_both_messages_and_a_class() {
    let at = bj("2025-10-01 10:00");
    let all = [
        (
            EventError::Future {
                kind: K::Rectified,
                at,
            },
            false,
        ),
        (
            EventError::BeforeOpen {
                kind: K::Rectified,
                opened_at: at,
            },
            false,
        ),
        (
            EventError::Late {
                kind: K::ObjectionFiled,
                deadline: d("2025-10-20"),
            },
            false,
        ),
        (
            EventError::NoRight {
                kind: K::ObjectionFiled,
            },
            false,
        ),
        (
            EventError::Detail {
                kind: K::RecheckResult,
                field: "upheld",
                problem: DetailProblem::Missing,
            },
            false,
        ),
        (
            EventError::Order {
                kind: K::RecheckResult,
                needs: K::RecheckAccepted,
            },
            true,
        ),
        (EventError::RecheckRefused, true),
        (
            EventError::Repeated {
                kind: K::RecallStarted,
            },
            true,
        ),
        (EventError::Closed { kind: K::Rectified }, true),
        (EventError::Missing(vec![K::Rectified]), true),
    ];
    for (e, conflict) in all {
        assert_eq!(e.is_conflict(), conflict, "{e:?}");
        assert!(!e.message_zh().is_empty());
        assert_eq!(e.to_string(), e.message_en());
    }
    let future = EventError::Future {
        kind: K::Rectified,
        at,
    };
    assert!(future.message_zh().contains("2025-10-01 10:00"));
}
