//! Typed identifiers. An `AccountId` cannot be passed where a `PartnerId` is expected.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(raw: i64) -> $name {
                $name(raw)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A business client of the bank (a legal entity or an individual entrepreneur).
    PartnerId
);
id_type!(
    /// A ledger account: a partner's account with an IBAN, or an internal account of the bank.
    AccountId
);
id_type!(
    /// One balanced journal entry (a set of postings that sum to zero per currency).
    EntryId
);
id_type!(
    /// A reservation of funds on an account, later posted or released.
    HoldId
);
id_type!(
    /// A person who signs in: a partner's user or a bank operator.
    UserId
);
id_type!(
    /// A server-side session of a signed-in user.
    SessionId
);
id_type!(
    /// A long-lived key a partner's integration (ERP, 1C) uses instead of a session.
    ApiKeyId
);
id_type!(
    /// A registered device (a mobile app installation) of a user.
    DeviceId
);
