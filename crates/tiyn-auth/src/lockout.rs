//! The lockout state machine for failed logins and codes.
//!
//! After [`LockoutPolicy::consecutive_failures_max`] consecutive failures the user is locked for
//! [`LockoutPolicy::lock_seconds`]; after [`LockoutPolicy::lockouts_before_block`] lockouts the user is
//! blocked until the bank lifts the block. A success resets the consecutive failures, not the count
//! of lockouts, so an attacker cannot reset the path to a block by logging in between bursts.
//!
//! The transitions are pure. The store must apply each one atomically, reading and writing the state
//! in one row update per attempt (for example `UPDATE … SET … WHERE …` returning the new row), so
//! that 200 parallel wrong attempts cannot all read the same state and exceed the limit. That is the
//! storage issue's job; this module only decides.

use jiff::Timestamp;

use crate::add_seconds;

/// Most consecutive failures the bank may allow before a lock: beyond 20, online guessing of a
/// 6-digit code or a common password gets a real chance.
pub const LOCKOUT_FAILURES_MAX_CEILING: u32 = 20;
/// Longest lock the bank may set: one day. Longer locks are blocks and need the bank anyway.
pub const LOCKOUT_LOCK_SECONDS_MAX: u32 = 86_400;
/// Most lockouts the bank may allow before a block.
pub const LOCKOUT_LOCKOUTS_BEFORE_BLOCK_MAX: u32 = 10;

/// The bank's lockout settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    consecutive_failures_max: u32,
    lock_seconds: u32,
    lockouts_before_block: u32,
}

impl Default for LockoutPolicy {
    /// 5 failures, a 15-minute lock, blocked at the third lockout.
    fn default() -> Self {
        LockoutPolicy { consecutive_failures_max: 5, lock_seconds: 900, lockouts_before_block: 3 }
    }
}

/// Lockout settings the bank asked for are outside the limits of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LockoutPolicyError {
    #[error("consecutive failures before a lock must be between 1 and {max}")]
    Failures { max: u32 },
    #[error("a lock must last between 1 and {max} seconds")]
    LockSeconds { max: u32 },
    #[error("lockouts before a block must be between 1 and {max}")]
    Lockouts { max: u32 },
}

impl LockoutPolicyError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            LockoutPolicyError::Failures { .. } => "lockout_policy_failures",
            LockoutPolicyError::LockSeconds { .. } => "lockout_policy_lock_seconds",
            LockoutPolicyError::Lockouts { .. } => "lockout_policy_lockouts",
        }
    }
}

impl LockoutPolicy {
    /// Builds a policy within the named limits of this module.
    pub fn new(
        consecutive_failures_max: u32,
        lock_seconds: u32,
        lockouts_before_block: u32,
    ) -> Result<LockoutPolicy, LockoutPolicyError> {
        if !(1..=LOCKOUT_FAILURES_MAX_CEILING).contains(&consecutive_failures_max) {
            return Err(LockoutPolicyError::Failures { max: LOCKOUT_FAILURES_MAX_CEILING });
        }
        if !(1..=LOCKOUT_LOCK_SECONDS_MAX).contains(&lock_seconds) {
            return Err(LockoutPolicyError::LockSeconds { max: LOCKOUT_LOCK_SECONDS_MAX });
        }
        if !(1..=LOCKOUT_LOCKOUTS_BEFORE_BLOCK_MAX).contains(&lockouts_before_block) {
            return Err(LockoutPolicyError::Lockouts { max: LOCKOUT_LOCKOUTS_BEFORE_BLOCK_MAX });
        }
        Ok(LockoutPolicy { consecutive_failures_max, lock_seconds, lockouts_before_block })
    }

    /// Consecutive failures that lock the user.
    pub fn consecutive_failures_max(&self) -> u32 {
        self.consecutive_failures_max
    }

    /// How long a lock lasts.
    pub fn lock_seconds(&self) -> u32 {
        self.lock_seconds
    }

    /// The lockout that blocks the user instead of locking.
    pub fn lockouts_before_block(&self) -> u32 {
        self.lockouts_before_block
    }
}

/// One user's (or one source's) failure history, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockoutState {
    /// Failures since the last success or lock.
    pub consecutive_failures: u32,
    /// Locks so far; never reset by a success, only by the bank.
    pub lockouts: u32,
    /// End of the current or last lock.
    pub locked_until: Option<Timestamp>,
    /// Blocked pending the bank.
    pub blocked: bool,
}

/// What a failure led to; the caller warns the user on `Locked` and tells the bank on `Blocked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockoutEvent {
    /// Counted; `remaining` more failures lock the user.
    Counted { remaining: u32 },
    /// The user is locked until `until`.
    Locked { until: Timestamp },
    /// The user is blocked until the bank lifts it.
    Blocked,
}

/// Why an attempt is refused before its credentials are even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LockoutError {
    #[error("access is locked until {until}")]
    Locked { until: Timestamp },
    #[error("access is blocked; contact the bank")]
    Blocked,
}

impl LockoutError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            LockoutError::Locked { .. } => "access_locked",
            LockoutError::Blocked => "access_blocked",
        }
    }
}

impl LockoutState {
    /// Whether an attempt may be evaluated at `now`. Call before checking any credential.
    pub fn check(&self, now: Timestamp) -> Result<(), LockoutError> {
        if self.blocked {
            return Err(LockoutError::Blocked);
        }
        match self.locked_until {
            Some(until) if now < until => Err(LockoutError::Locked { until }),
            _ => Ok(()),
        }
    }

    /// The state after a failed password or code at `now`.
    ///
    /// A failure while blocked or locked changes nothing (such attempts should have been refused by
    /// [`LockoutState::check`]; counting them would let a lock extend itself forever).
    pub fn after_failure(&self, policy: &LockoutPolicy, now: Timestamp) -> (LockoutState, LockoutEvent) {
        if let Err(refusal) = self.check(now) {
            let event = match refusal {
                LockoutError::Blocked => LockoutEvent::Blocked,
                LockoutError::Locked { until } => LockoutEvent::Locked { until },
            };
            return (*self, event);
        }
        let failures = self.consecutive_failures.saturating_add(1);
        if failures < policy.consecutive_failures_max {
            let next = LockoutState { consecutive_failures: failures, ..*self };
            return (next, LockoutEvent::Counted { remaining: policy.consecutive_failures_max - failures });
        }
        let lockouts = self.lockouts.saturating_add(1);
        if lockouts >= policy.lockouts_before_block {
            let next = LockoutState { consecutive_failures: 0, lockouts, locked_until: None, blocked: true };
            return (next, LockoutEvent::Blocked);
        }
        let until = add_seconds(now, i64::from(policy.lock_seconds));
        let next = LockoutState { consecutive_failures: 0, lockouts, locked_until: Some(until), blocked: false };
        assert!(next.check(now).is_err(), "a new lock refuses at once");
        (next, LockoutEvent::Locked { until })
    }

    /// The state after a successful login: consecutive failures reset, lockouts kept.
    pub fn after_success(&self) -> LockoutState {
        assert!(!self.blocked, "a blocked user cannot succeed: check() refuses first");
        LockoutState { consecutive_failures: 0, locked_until: None, ..*self }
    }

    /// The state after the bank lifts a block: a clean slate. Only a bank operator
    /// may cause this; the caller must hold that capability.
    pub fn cleared_by_bank(&self) -> LockoutState {
        LockoutState::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(second: i64) -> Timestamp {
        add_seconds(Timestamp::from_second(1_750_000_000).expect("valid"), second)
    }

    #[test]
    fn r_6_1_4_locks_after_five_failures() {
        let policy = LockoutPolicy::default();
        let mut state = LockoutState::default();
        for remaining in (1..5).rev() {
            let (next, event) = state.after_failure(&policy, at(0));
            assert_eq!(event, LockoutEvent::Counted { remaining });
            assert_eq!(next.check(at(0)), Ok(()));
            state = next;
        }
        let (state, event) = state.after_failure(&policy, at(1));
        assert_eq!(event, LockoutEvent::Locked { until: at(901) });
        assert_eq!(state.check(at(900)), Err(LockoutError::Locked { until: at(901) }));
        assert_eq!(state.check(at(901)), Ok(()));
        // A failure during the lock is not counted and does not extend it.
        assert_eq!(state.after_failure(&policy, at(5)), (state, LockoutEvent::Locked { until: at(901) }));
    }

    #[test]
    fn r_6_1_4_third_lockout_blocks_and_success_does_not_forgive_lockouts() {
        let policy = LockoutPolicy::default();
        let mut state = LockoutState::default();
        let mut now = 0;
        let mut events = Vec::new();
        for _ in 0..3 {
            for _ in 0..5 {
                let (next, event) = state.after_failure(&policy, at(now));
                state = next;
                events.push(event);
            }
            now += 1_000;
            assert_eq!(state.check(at(now)).err(), if state.blocked { Some(LockoutError::Blocked) } else { None });
            if !state.blocked {
                state = state.after_success();
            }
        }
        assert_eq!(events.last(), Some(&LockoutEvent::Blocked));
        assert!(state.blocked);
        assert_eq!(state.check(at(10_000_000)), Err(LockoutError::Blocked));
        assert_eq!(state.after_failure(&policy, at(now)).1, LockoutEvent::Blocked);
        assert_eq!(state.cleared_by_bank().check(at(now)), Ok(()));
    }

    #[test]
    fn r_6_1_4_success_resets_consecutive_failures() {
        let policy = LockoutPolicy::default();
        let (state, _) = LockoutState::default().after_failure(&policy, at(0));
        let (state, _) = state.after_failure(&policy, at(0));
        let state = state.after_success();
        assert_eq!(state.consecutive_failures, 0);
        assert_eq!(state.after_failure(&policy, at(0)).1, LockoutEvent::Counted { remaining: 4 });
    }

    #[test]
    fn policy_limits() {
        let code = |f, s, l| LockoutPolicy::new(f, s, l).map(|_| ()).map_err(|e| e.code());
        assert_eq!(code(0, 900, 3), Err("lockout_policy_failures"));
        assert_eq!(code(21, 900, 3), Err("lockout_policy_failures"));
        assert_eq!(code(5, 0, 3), Err("lockout_policy_lock_seconds"));
        assert_eq!(code(5, 86_401, 3), Err("lockout_policy_lock_seconds"));
        assert_eq!(code(5, 900, 0), Err("lockout_policy_lockouts"));
        assert_eq!(LockoutPolicy::new(5, 900, 3), Ok(LockoutPolicy::default()));
    }

    proptest! {
        #[test]
        fn r_6_1_4_never_more_than_max_failures_evaluated_between_locks(
            failures_max in 1u32..=LOCKOUT_FAILURES_MAX_CEILING,
            lockouts_max in 1u32..=LOCKOUT_LOCKOUTS_BEFORE_BLOCK_MAX,
            steps in proptest::collection::vec((any::<bool>(), 0i64..2_000), 0..200),
        ) {
            let policy = LockoutPolicy::new(failures_max, 900, lockouts_max).expect("valid");
            let mut state = LockoutState::default();
            let mut now = 0;
            let mut evaluated_in_a_row = 0u32;
            for (success, advance) in steps {
                now += advance;
                if state.check(at(now)).is_err() {
                    continue; // refused before evaluation
                }
                if success {
                    state = state.after_success();
                    evaluated_in_a_row = 0;
                    continue;
                }
                evaluated_in_a_row += 1;
                prop_assert!(evaluated_in_a_row <= failures_max);
                let (next, event) = state.after_failure(&policy, at(now));
                if !matches!(event, LockoutEvent::Counted { .. }) {
                    evaluated_in_a_row = 0;
                    prop_assert!(next.check(at(now)).is_err());
                }
                prop_assert!(next.lockouts <= lockouts_max);
                prop_assert_eq!(next.blocked, next.lockouts >= lockouts_max);
                state = next;
            }
        }
    }
}
