//! The state of one monitored asset, pure: hysteresis, degradation, flapping, maintenance,
//! and whether an incident should be open. Time is an input (`now`, ms since the epoch),
//! so the tests drive it with a fake clock and never sleep.
//!
//! Rules:
//! - a check is good, degraded (answers, but loss/rtt above threshold, an expected
//!   interface down, an SNMP expectation failing) or failed (does not answer);
//! - the state moves towards worse (up → degraded → down) after `failures` consecutive
//!   checks saying so, and towards better after `successes` consecutive ones; the first
//!   check of a never-seen asset that answers settles it at once (nothing to confirm);
//! - more than `flapping.changes` state changes within `flapping.window` make it
//!   `flapping`, which holds until a whole window passes without a change;
//! - an incident is wanted while the state is down, degraded or flapping and no
//!   maintenance window runs; it is resolved when the asset is up (and not flapping).
//!   Level-triggered: the machine compares what it wants with what it has, so a window
//!   ending while an asset is still down opens the incident then, and a flapping asset
//!   never opens more than one.

use super::policy::Policy;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The state shown for an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not checked yet, or not settled.
    Unknown,
    /// Answers, all checks pass.
    Up,
    /// Answers, something is wrong.
    Degraded,
    /// Does not answer.
    Down,
    /// Changes state too often to be trusted either way.
    Flapping,
}

impl Status {
    /// The name in the API, database and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Up => "up",
            Status::Degraded => "degraded",
            Status::Down => "down",
            Status::Flapping => "flapping",
        }
    }

    /// From the stored name.
    pub fn parse(text: &str) -> Status {
        match text {
            "up" => Status::Up,
            "degraded" => Status::Degraded,
            "down" => Status::Down,
            "flapping" => Status::Flapping,
            _ => Status::Unknown,
        }
    }

    /// 0 best … 2 worst, for the hysteresis direction.
    fn severity(self) -> u8 {
        match self {
            Status::Up | Status::Unknown => 0,
            Status::Degraded => 1,
            Status::Down | Status::Flapping => 2,
        }
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Everything passed.
    Good,
    /// Answers, with these problems.
    Degraded(Vec<String>),
    /// Does not answer, for this reason.
    Failed(String),
}

impl Outcome {
    fn status(&self) -> Status {
        match self {
            Outcome::Good => Status::Up,
            Outcome::Degraded(_) => Status::Degraded,
            Outcome::Failed(_) => Status::Down,
        }
    }

    /// Why, for incidents.
    pub fn reason(&self) -> String {
        match self {
            Outcome::Good => String::from("all checks pass"),
            Outcome::Degraded(reasons) => reasons.join("; "),
            Outcome::Failed(reason) => reason.clone(),
        }
    }
}

/// What the caller must do after a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The shown state changed.
    Changed {
        /// Before.
        from: Status,
        /// After.
        to: Status,
    },
    /// Open an incident of this kind (`down`, `degraded`, `flapping`).
    Open {
        /// The status that opened it.
        status: Status,
        /// Why.
        reason: String,
    },
    /// Resolve the open incident: the asset is back.
    Resolve,
}

/// One asset's memory between checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// The settled state (without flapping).
    settled: Status,
    /// The state the recent checks point to, and how many in a row.
    candidate: (Status, u32),
    /// When the settled state changed, within the flapping window.
    changes: VecDeque<i64>,
    /// Flapping now.
    flapping: bool,
    /// An incident is open for this asset (the store's truth, told at start and kept here).
    pub incident_open: bool,
    /// Failing now (the scheduler re-checks sooner).
    pub failing: bool,
    /// The last check's reason (for the incident text).
    pub last_reason: String,
}

impl Machine {
    /// A never-checked asset; `incident_open` as the store says.
    pub fn new(incident_open: bool) -> Machine {
        Machine {
            settled: Status::Unknown,
            candidate: (Status::Unknown, 0),
            changes: VecDeque::new(),
            flapping: false,
            incident_open,
            failing: false,
            last_reason: String::new(),
        }
    }

    /// Restart from a stored state (after a reload or a restart of the daemon), so a down
    /// asset stays down until proven up rather than re-entering through `unknown`.
    pub fn resume(status: Status, incident_open: bool) -> Machine {
        let mut machine = Machine::new(incident_open);
        machine.settled = match status {
            Status::Flapping => Status::Down,
            other => other,
        };
        machine.flapping = status == Status::Flapping;
        machine
    }

    /// The state shown.
    pub fn status(&self) -> Status {
        if self.flapping {
            Status::Flapping
        } else {
            self.settled
        }
    }

    /// Take one check's outcome at `now`; `maintenance` says whether a window covers the
    /// asset. Returns what changed and what to do with incidents.
    pub fn observe(
        &mut self,
        now: i64,
        outcome: &Outcome,
        policy: &Policy,
        maintenance: bool,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        let shown_before = self.status();
        let seen = outcome.status();
        self.failing = seen != Status::Up;
        self.last_reason = outcome.reason();
        self.candidate = if self.candidate.0 == seen {
            (seen, self.candidate.1.saturating_add(1))
        } else {
            (seen, 1)
        };
        let needed = if self.settled == Status::Unknown && seen != Status::Down {
            1
        } else if seen.severity() > self.settled.severity() {
            policy.failures
        } else {
            policy.successes
        };
        if seen != self.settled && self.candidate.1 >= needed {
            if self.settled != Status::Unknown {
                self.changes.push_back(now);
            }
            self.settled = seen;
        }
        // Flapping: count changes inside the window ending now.
        let window = policy.flapping.window.millis();
        while self.changes.front().is_some_and(|&t| now - t > window) {
            self.changes.pop_front();
        }
        let too_many = self.changes.len() as u32 >= policy.flapping.changes.max(2);
        if too_many {
            self.flapping = true;
        } else if self.flapping && self.changes.is_empty() {
            self.flapping = false;
        }
        let shown = self.status();
        if shown != shown_before {
            actions.push(Action::Changed {
                from: shown_before,
                to: shown,
            });
        }
        let wants_incident = matches!(shown, Status::Down | Status::Degraded | Status::Flapping);
        if wants_incident && !self.incident_open && !maintenance {
            self.incident_open = true;
            actions.push(Action::Open {
                status: shown,
                reason: if shown == Status::Flapping {
                    format!(
                        "{} state changes within {}; last check: {}",
                        self.changes.len(),
                        policy.flapping.window,
                        self.last_reason
                    )
                } else {
                    self.last_reason.clone()
                },
            });
        } else if shown == Status::Up && self.incident_open {
            self.incident_open = false;
            actions.push(Action::Resolve);
        }
        actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::monitoring::{Flapping, Level, Span};
    use std::time::Duration;

    fn policy() -> Policy {
        Policy {
            enabled: true,
            interval_ms: 1000,
            retry_interval_ms: 500,
            failures: 3,
            successes: 2,
            loss_percent: 20.0,
            rtt_ms: 200.0,
            flapping: Flapping {
                changes: 4,
                window: Span(Duration::from_secs(60)),
            },
            service_level: None,
            impact: Level::Medium,
            urgency: Level::High,
        }
    }

    fn fail() -> Outcome {
        Outcome::Failed("no reply".into())
    }

    /// Feed outcomes one second apart from `start`; every action with its time.
    fn run(
        machine: &mut Machine,
        start: i64,
        outcomes: &[Outcome],
        maintenance: bool,
    ) -> Vec<(i64, Action)> {
        let policy = policy();
        let mut all = Vec::new();
        for (i, outcome) in outcomes.iter().enumerate() {
            let now = start + i as i64 * 1000;
            for action in machine.observe(now, outcome, &policy, maintenance) {
                all.push((now, action));
            }
        }
        all
    }

    fn opens(actions: &[(i64, Action)]) -> usize {
        actions
            .iter()
            .filter(|(_, a)| matches!(a, Action::Open { .. }))
            .count()
    }

    #[test]
    fn down_after_n_failures_up_after_m_successes() {
        let mut m = Machine::new(false);
        let actions = run(&mut m, 0, &[Outcome::Good, fail(), fail()], false);
        assert_eq!(m.status(), Status::Up, "two failures are not enough");
        assert_eq!(actions.len(), 1); // unknown → up
        let actions = run(&mut m, 3000, &[fail()], false);
        assert_eq!(m.status(), Status::Down);
        assert_eq!(
            actions,
            vec![
                (
                    3000,
                    Action::Changed {
                        from: Status::Up,
                        to: Status::Down
                    }
                ),
                (
                    3000,
                    Action::Open {
                        status: Status::Down,
                        reason: "no reply".into()
                    }
                )
            ]
        );
        let actions = run(&mut m, 4000, &[Outcome::Good], false);
        assert!(actions.is_empty(), "one success is not enough");
        let actions = run(&mut m, 5000, &[Outcome::Good], false);
        assert!(actions.contains(&(5000, Action::Resolve)));
        assert_eq!(m.status(), Status::Up);
    }

    #[test]
    fn a_failure_streak_broken_by_a_success_starts_over() {
        let mut m = Machine::new(false);
        run(
            &mut m,
            0,
            &[Outcome::Good, fail(), fail(), Outcome::Good, fail(), fail()],
            false,
        );
        assert_eq!(m.status(), Status::Up);
        assert!(m.failing, "the scheduler re-checks sooner");
    }

    #[test]
    fn degraded_opens_an_incident_with_its_reason() {
        let mut m = Machine::new(false);
        let bad = Outcome::Degraded(vec!["Gi1/0/1 down".into()]);
        let actions = run(
            &mut m,
            0,
            &[Outcome::Good, bad.clone(), bad.clone(), bad],
            false,
        );
        assert_eq!(m.status(), Status::Degraded);
        assert_eq!(opens(&actions), 1);
        assert!(actions.iter().any(|(_, a)| matches!(a,
            Action::Open { status: Status::Degraded, reason } if reason == "Gi1/0/1 down")));
    }

    #[test]
    fn degraded_then_down_keeps_one_incident() {
        let mut m = Machine::new(false);
        let bad = Outcome::Degraded(vec!["loss 50%".into()]);
        let actions = run(
            &mut m,
            0,
            &[
                Outcome::Good,
                bad.clone(),
                bad.clone(),
                bad,
                fail(),
                fail(),
                fail(),
            ],
            false,
        );
        assert_eq!(m.status(), Status::Down);
        assert_eq!(opens(&actions), 1);
    }

    #[test]
    fn maintenance_silences_and_the_end_of_the_window_opens() {
        let mut m = Machine::new(false);
        let actions = run(&mut m, 0, &[Outcome::Good, fail(), fail(), fail()], true);
        assert_eq!(m.status(), Status::Down, "the state is still tracked");
        assert_eq!(opens(&actions), 0);
        let actions = run(&mut m, 10_000, &[fail()], false);
        assert_eq!(opens(&actions), 1, "still down when the window ends");
    }

    #[test]
    fn back_up_during_maintenance_opens_nothing() {
        let mut m = Machine::new(false);
        let actions = run(
            &mut m,
            0,
            &[
                Outcome::Good,
                fail(),
                fail(),
                fail(),
                Outcome::Good,
                Outcome::Good,
            ],
            true,
        );
        assert_eq!(opens(&actions), 0);
        assert_eq!(m.status(), Status::Up);
    }

    #[test]
    fn flapping_is_one_state_and_one_incident() {
        let mut m = Machine::new(false);
        // failures 3 / successes 2: each cycle of 3 failures + 2 successes is 2 changes.
        let cycle = [fail(), fail(), fail(), Outcome::Good, Outcome::Good];
        let mut outcomes = vec![Outcome::Good];
        for _ in 0..5 {
            outcomes.extend(cycle.iter().cloned());
        }
        let actions = run(&mut m, 0, &outcomes, false);
        assert_eq!(m.status(), Status::Flapping);
        let flapping_at: Vec<i64> = actions
            .iter()
            .filter(|(_, a)| {
                matches!(
                    a,
                    Action::Changed {
                        to: Status::Flapping,
                        ..
                    }
                )
            })
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(flapping_at.len(), 1, "one flapping state: {actions:?}");
        // Before detection (4 changes) two downs opened two incidents; after it, three
        // more cycles open nothing and resolve nothing.
        assert_eq!(opens(&actions), 2, "{actions:?}");
        assert!(
            actions.iter().all(|(t, a)| *t <= flapping_at[0]
                || !matches!(a, Action::Open { .. } | Action::Resolve))
        );
        assert!(m.incident_open, "the incident stays open while flapping");
        // Quiet and up for longer than the window: flapping ends, the incident resolves.
        let actions = run(&mut m, 200_000, &[Outcome::Good, Outcome::Good], false);
        assert_eq!(m.status(), Status::Up);
        assert!(actions.iter().any(|(_, a)| *a == Action::Resolve));
    }

    #[test]
    fn resumed_down_asset_needs_successes_and_keeps_its_incident() {
        let mut m = Machine::resume(Status::Down, true);
        let actions = run(&mut m, 0, &[fail(), fail()], false);
        assert!(actions.is_empty(), "no second incident: {actions:?}");
        let actions = run(&mut m, 5000, &[Outcome::Good, Outcome::Good], false);
        assert!(actions.iter().any(|(_, a)| *a == Action::Resolve));
    }

    #[test]
    fn a_never_seen_asset_that_fails_needs_n_failures() {
        let mut m = Machine::new(false);
        let actions = run(&mut m, 0, &[fail(), fail()], false);
        assert!(actions.is_empty());
        assert_eq!(m.status(), Status::Unknown);
        let actions = run(&mut m, 2000, &[fail()], false);
        assert_eq!(opens(&actions), 1);
    }
}
