//! Access levels and the one permission matrix.
//!
//! A partner gives each user one of three levels. What a level may do is written once, here, as
//! data: [`AccessLevel::permissions`]. Every route names the [`Permission`] it needs and asks
//! [`AccessLevel::allows_with`]; no handler decides access with its own `if`.
//!
//! The levels are nested: everything `create` may do, `confirm` may do, and everything `confirm`
//! may do, `full` may do. The bank may withhold some information services from the `create` level
//! that choice is data too: [`InformationRestrictions`].

use std::fmt;

/// A user's access level, chosen by the partner.
///
/// The wire names (`full`, `confirm`, `create`) are those of API.md and of `demo-credentials.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessLevel {
    /// everything, including the partner's terms and data and the management of users.
    Full,
    /// view, create and confirm payment documents, with the information services.
    Confirm,
    /// view and create (draft) payment documents, no confirming; the bank may withhold some
    /// information services.
    Create,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessLevelError {
    #[error("the access level must be one of: full, confirm, create")]
    Unknown,
}

impl AccessLevelError {
    pub fn code(&self) -> &'static str {
        "invalid_access_level"
    }
}

/// Something a route lets a user do. Each route of the API and of the cabinet needs exactly one.
///
/// The names returned by [`Permission::as_str`] are the ones `GET /me` lists in `permissions`, so
/// renaming a variant must keep its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Accounts with their balances (R-3.1.2.1). An information service.
    ViewAccounts,
    /// Arrests, suspensions of debits and collection orders on an account (R-3.1.2.1). An
    /// information service.
    ViewAccountRestrictions,
    /// Account statements and the operations on an account (R-3.1.2.1, R-3.1.2.3). An information
    /// service.
    ViewStatements,
    /// Statements and documents exported or printed in the platform's formats (R-3.1.2.6,
    /// R-3.1.2.7). An information service.
    ExportStatements,
    /// Payment documents of the partner and their receipts (R-3.1.2.3). An information service.
    ViewPayments,
    /// Rates, conversion quotes and the reference directories: KNP, KBK, KBe, banks (R-3.1.2.2,
    /// R-3.1.1.4). An information service.
    ViewReferenceData,
    /// POS terminals and their operations (R-3.1.2.4). An information service.
    ViewPos,
    /// Scheduled incoming credits (R-3.1.2.5). An information service.
    ViewPlannedCredits,
    /// Notices from the bank: terms, measures, document requests, maintenance (R-3.1.2.8). An
    /// information service.
    ViewMessages,
    /// Create, edit, import and delete draft payment documents (R-3.1.1.2, R-8.1.3).
    CreatePayments,
    /// Confirm payment documents with a code.
    ConfirmPayments,
    /// Create, edit, block and unblock the partner's users and decide who receives information
    /// services.
    ManageUsers,
    /// Read the partner's audit trail.
    ViewAudit,
    /// Issue, list and revoke API keys for the partner's integrations.
    ManageApiKeys,
    /// Change the partner's terms and application data.
    ChangePartnerData,
    /// File claims and read their answers.
    FileClaims,
    /// Enrol, list and revoke one's own markers.
    ManageOwnMarkers,
    /// Register, list and revoke one's own devices.
    ManageOwnDevices,
    /// Switch one's own operation notices off and on.
    ManageOwnNotifications,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermissionError {
    #[error("unknown permission")]
    Unknown,
}

impl PermissionError {
    pub fn code(&self) -> &'static str {
        "invalid_permission"
    }
}

/// The information services the bank has withheld from the `create` level.
///
/// Only information services can be withheld: payment drafting is what the level is for, and the
/// other permissions are not the level's to begin with. The other levels are never restricted by
/// this value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct InformationRestrictions {
    /// Bit `Permission::index()` is set when that permission is withheld.
    withheld_bits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InformationRestrictionsError {
    #[error("only information services can be withheld from the create level, not {}", .0.as_str())]
    NotInformationService(Permission),
    #[error("unknown information service")]
    UnknownName,
}

impl InformationRestrictionsError {
    pub fn code(&self) -> &'static str {
        "invalid_information_restriction"
    }
}

// The matrix. Written as lists rather than as rules so that a reviewer reads each level whole.

/// .x: the information services every level gets (unless the bank withholds some from
/// `create`).
const INFORMATION_SERVICES: [Permission; 9] = [
    Permission::ViewAccounts,
    Permission::ViewAccountRestrictions,
    Permission::ViewStatements,
    Permission::ExportStatements,
    Permission::ViewPayments,
    Permission::ViewReferenceData,
    Permission::ViewPos,
    Permission::ViewPlannedCredits,
    Permission::ViewMessages,
];

/// everything.
const FULL: &[Permission] = &Permission::ALL;

/// information services, drafting and confirming payment documents, claims, and one's own
/// markers, devices and notices.
const CONFIRM: &[Permission] = &[
    Permission::ViewAccounts,
    Permission::ViewAccountRestrictions,
    Permission::ViewStatements,
    Permission::ExportStatements,
    Permission::ViewPayments,
    Permission::ViewReferenceData,
    Permission::ViewPos,
    Permission::ViewPlannedCredits,
    Permission::ViewMessages,
    Permission::CreatePayments,
    Permission::ConfirmPayments,
    Permission::FileClaims,
    Permission::ManageOwnMarkers,
    Permission::ManageOwnDevices,
    Permission::ManageOwnNotifications,
];

/// information services and drafting payment documents; no confirming, no users, no
/// audit, no partner data, no API keys. One's own notices are switchable at this level too
/// and one's own markers and devices are the user's means of access (R-4.17, R-8.10,
/// ), not a payment power.
const CREATE: &[Permission] = &[
    Permission::ViewAccounts,
    Permission::ViewAccountRestrictions,
    Permission::ViewStatements,
    Permission::ExportStatements,
    Permission::ViewPayments,
    Permission::ViewReferenceData,
    Permission::ViewPos,
    Permission::ViewPlannedCredits,
    Permission::ViewMessages,
    Permission::CreatePayments,
    Permission::ManageOwnMarkers,
    Permission::ManageOwnDevices,
    Permission::ManageOwnNotifications,
];

impl AccessLevel {
    /// Every level, from the most to the least powerful.
    pub const ALL: [AccessLevel; 3] = [AccessLevel::Full, AccessLevel::Confirm, AccessLevel::Create];

    /// The name used in the API (API.md "Shapes clients rely on").
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Full => "full",
            AccessLevel::Confirm => "confirm",
            AccessLevel::Create => "create",
        }
    }

    /// Parses an API name exactly as [`AccessLevel::as_str`] spells it.
    pub fn parse(input: &str) -> Result<AccessLevel, AccessLevelError> {
        AccessLevel::ALL.into_iter().find(|level| level.as_str() == input).ok_or(AccessLevelError::Unknown)
    }

    /// What this level may do, in `Permission::ALL` order.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            AccessLevel::Full => FULL,
            AccessLevel::Confirm => CONFIRM,
            AccessLevel::Create => CREATE,
        }
    }

    /// Whether this level may do `permission`, before any restriction by the bank.
    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// Whether this level may do `permission`, given the information services the bank withholds
    /// from the `create` level. Routes ask this, not [`AccessLevel::allows`].
    pub fn allows_with(self, permission: Permission, restrictions: &InformationRestrictions) -> bool {
        let allowed = self.allows(permission);
        match self {
            AccessLevel::Create => allowed && !restrictions.contains(permission),
            AccessLevel::Full | AccessLevel::Confirm => allowed,
        }
    }

    /// Whether this level may do everything `other` may: `full` includes `confirm` includes
    /// `create`. Used where a level is capped, for example an API key never above `confirm`.
    pub fn includes(self, other: AccessLevel) -> bool {
        self.rank() >= other.rank()
    }

    fn rank(self) -> u8 {
        match self {
            AccessLevel::Full => 2,
            AccessLevel::Confirm => 1,
            AccessLevel::Create => 0,
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Permission {
    /// Every permission, in declaration order (`ALL[p.index()] == p`).
    pub const ALL: [Permission; 19] = [
        Permission::ViewAccounts,
        Permission::ViewAccountRestrictions,
        Permission::ViewStatements,
        Permission::ExportStatements,
        Permission::ViewPayments,
        Permission::ViewReferenceData,
        Permission::ViewPos,
        Permission::ViewPlannedCredits,
        Permission::ViewMessages,
        Permission::CreatePayments,
        Permission::ConfirmPayments,
        Permission::ManageUsers,
        Permission::ViewAudit,
        Permission::ManageApiKeys,
        Permission::ChangePartnerData,
        Permission::FileClaims,
        Permission::ManageOwnMarkers,
        Permission::ManageOwnDevices,
        Permission::ManageOwnNotifications,
    ];

    /// The snake_case name listed by `GET /me` in `permissions`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewAccounts => "view_accounts",
            Permission::ViewAccountRestrictions => "view_account_restrictions",
            Permission::ViewStatements => "view_statements",
            Permission::ExportStatements => "export_statements",
            Permission::ViewPayments => "view_payments",
            Permission::ViewReferenceData => "view_reference_data",
            Permission::ViewPos => "view_pos",
            Permission::ViewPlannedCredits => "view_planned_credits",
            Permission::ViewMessages => "view_messages",
            Permission::CreatePayments => "create_payments",
            Permission::ConfirmPayments => "confirm_payments",
            Permission::ManageUsers => "manage_users",
            Permission::ViewAudit => "view_audit",
            Permission::ManageApiKeys => "manage_api_keys",
            Permission::ChangePartnerData => "change_partner_data",
            Permission::FileClaims => "file_claims",
            Permission::ManageOwnMarkers => "manage_own_markers",
            Permission::ManageOwnDevices => "manage_own_devices",
            Permission::ManageOwnNotifications => "manage_own_notifications",
        }
    }

    /// Parses a name exactly as [`Permission::as_str`] spells it (stored restrictions, for example).
    pub fn parse(input: &str) -> Result<Permission, PermissionError> {
        Permission::ALL.into_iter().find(|permission| permission.as_str() == input).ok_or(PermissionError::Unknown)
    }

    /// Whether this is one of the information services of, the ones the bank may withhold
    /// from the `create` level.
    pub fn is_information_service(self) -> bool {
        INFORMATION_SERVICES.contains(&self)
    }

    /// The position in [`Permission::ALL`]. The match is exhaustive on purpose: a new variant does
    /// not compile until it has a place.
    fn index(self) -> u32 {
        match self {
            Permission::ViewAccounts => 0,
            Permission::ViewAccountRestrictions => 1,
            Permission::ViewStatements => 2,
            Permission::ExportStatements => 3,
            Permission::ViewPayments => 4,
            Permission::ViewReferenceData => 5,
            Permission::ViewPos => 6,
            Permission::ViewPlannedCredits => 7,
            Permission::ViewMessages => 8,
            Permission::CreatePayments => 9,
            Permission::ConfirmPayments => 10,
            Permission::ManageUsers => 11,
            Permission::ViewAudit => 12,
            Permission::ManageApiKeys => 13,
            Permission::ChangePartnerData => 14,
            Permission::FileClaims => 15,
            Permission::ManageOwnMarkers => 16,
            Permission::ManageOwnDevices => 17,
            Permission::ManageOwnNotifications => 18,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// The bit set must have room for every permission.
const _: () = assert!(Permission::ALL.len() <= u32::BITS as usize);

impl InformationRestrictions {
    /// Nothing withheld: the `create` level gets every information service.
    pub const fn none() -> InformationRestrictions {
        InformationRestrictions { withheld_bits: 0 }
    }

    /// The bank withholds `permissions` from the `create` level. Refuses anything that is not an
    /// information service (R-8.1.3 allows restricting only those).
    pub fn new(
        permissions: impl IntoIterator<Item = Permission>,
    ) -> Result<InformationRestrictions, InformationRestrictionsError> {
        let mut restrictions = InformationRestrictions::none();
        for permission in permissions {
            if !permission.is_information_service() {
                return Err(InformationRestrictionsError::NotInformationService(permission));
            }
            restrictions.withheld_bits |= 1 << permission.index();
        }
        debug_assert!(restrictions.permissions().all(Permission::is_information_service));
        Ok(restrictions)
    }

    /// Whether the bank withholds `permission` from the `create` level.
    pub fn contains(&self, permission: Permission) -> bool {
        self.withheld_bits & (1 << permission.index()) != 0
    }

    pub fn is_empty(&self) -> bool {
        self.withheld_bits == 0
    }

    /// The withheld permissions, in [`Permission::ALL`] order.
    pub fn permissions(&self) -> impl Iterator<Item = Permission> + '_ {
        Permission::ALL.into_iter().filter(|permission| self.contains(*permission))
    }

    /// The stored form: the withheld permissions' names, comma-separated (empty: none).
    pub fn to_text(&self) -> String {
        self.permissions().map(Permission::as_str).collect::<Vec<_>>().join(",")
    }

    /// Reads [`InformationRestrictions::to_text`] back.
    pub fn from_text(text: &str) -> Result<InformationRestrictions, InformationRestrictionsError> {
        let mut permissions = Vec::new();
        for name in text.split(',').map(str::trim).filter(|name| !name.is_empty()) {
            permissions.push(Permission::parse(name).map_err(|_| InformationRestrictionsError::UnknownName)?);
        }
        InformationRestrictions::new(permissions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(level: AccessLevel, permission: Permission, expected: bool) {
        assert_eq!(level.allows(permission), expected, "{level} × {permission}");
    }

    #[test]
    fn permission_index_matches_all() {
        for (position, permission) in Permission::ALL.into_iter().enumerate() {
            assert_eq!(permission.index() as usize, position, "{permission}");
        }
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for level in AccessLevel::ALL {
            assert_eq!(AccessLevel::parse(level.as_str()), Ok(level));
        }
        assert_eq!(AccessLevel::parse("Full"), Err(AccessLevelError::Unknown));
        assert_eq!(AccessLevel::parse(""), Err(AccessLevelError::Unknown));
        assert_eq!(AccessLevel::parse("admin"), Err(AccessLevelError::Unknown));
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Ok(permission));
            let name = permission.as_str();
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name} is snake_case");
        }
        let mut names: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Permission::ALL.len());
        assert_eq!(Permission::parse("view-accounts"), Err(PermissionError::Unknown));
    }

    #[test]
    fn level_names_are_the_api_names() {
        assert_eq!(AccessLevel::Full.as_str(), "full");
        assert_eq!(AccessLevel::Confirm.as_str(), "confirm");
        assert_eq!(AccessLevel::Create.as_str(), "create");
    }

    #[test]
    fn permission_lists_are_in_all_order_without_duplicates() {
        for level in AccessLevel::ALL {
            let indexes: Vec<u32> = level.permissions().iter().map(|p| p.index()).collect();
            assert!(indexes.windows(2).all(|pair| pair[0] < pair[1]), "{level}");
        }
    }

    /// full access is everything.
    #[test]
    fn r_8_1_1_full_access_allows_everything() {
        assert_eq!(AccessLevel::Full.permissions(), Permission::ALL.as_slice());
        for permission in Permission::ALL {
            check(AccessLevel::Full, permission, true);
        }
    }

    /// only full access manages users and changes the partner's data.
    #[test]
    fn r_8_1_1_only_full_access_manages_the_partner() {
        let full_only =
            [Permission::ManageUsers, Permission::ViewAudit, Permission::ManageApiKeys, Permission::ChangePartnerData];
        for permission in full_only {
            check(AccessLevel::Full, permission, true);
            check(AccessLevel::Confirm, permission, false);
            check(AccessLevel::Create, permission, false);
        }
    }

    /// view, create and confirm payment documents, with the information services.
    #[test]
    fn r_8_1_2_confirm_level_creates_and_confirms() {
        for permission in INFORMATION_SERVICES {
            check(AccessLevel::Confirm, permission, true);
        }
        check(AccessLevel::Confirm, Permission::CreatePayments, true);
        check(AccessLevel::Confirm, Permission::ConfirmPayments, true);
        check(AccessLevel::Confirm, Permission::FileClaims, true);
        check(AccessLevel::Confirm, Permission::ManageOwnMarkers, true);
        check(AccessLevel::Confirm, Permission::ManageOwnNotifications, true);
    }

    /// information services and drafting, no confirming.
    #[test]
    fn r_8_1_3_create_level_drafts_but_never_confirms() {
        for permission in INFORMATION_SERVICES {
            check(AccessLevel::Create, permission, true);
        }
        check(AccessLevel::Create, Permission::CreatePayments, true);
        check(AccessLevel::Create, Permission::ConfirmPayments, false);
        // users of this level switch their own notices too.
        check(AccessLevel::Create, Permission::ManageOwnNotifications, true);
    }

    /// The whole matrix as data: a changed cell fails here and must be changed on purpose.
    #[test]
    fn r_8_1_matrix_is_exactly_this() {
        let granted = |level: AccessLevel| -> Vec<&str> { level.permissions().iter().map(|p| p.as_str()).collect() };
        assert_eq!(
            granted(AccessLevel::Create),
            [
                "view_accounts",
                "view_account_restrictions",
                "view_statements",
                "export_statements",
                "view_payments",
                "view_reference_data",
                "view_pos",
                "view_planned_credits",
                "view_messages",
                "create_payments",
                "manage_own_markers",
                "manage_own_devices",
                "manage_own_notifications",
            ]
        );
        let confirm_extra: Vec<&str> = granted(AccessLevel::Confirm)
            .into_iter()
            .filter(|name| !AccessLevel::Create.allows(Permission::parse(name).unwrap()))
            .collect();
        assert_eq!(confirm_extra, ["confirm_payments", "file_claims"]);
        let full_extra: Vec<&str> = granted(AccessLevel::Full)
            .into_iter()
            .filter(|name| !AccessLevel::Confirm.allows(Permission::parse(name).unwrap()))
            .collect();
        assert_eq!(full_extra, ["manage_users", "view_audit", "manage_api_keys", "change_partner_data"]);
    }

    /// the levels are nested, checked over every permission.
    #[test]
    fn r_8_1_levels_are_nested() {
        for permission in Permission::ALL {
            if AccessLevel::Create.allows(permission) {
                assert!(AccessLevel::Confirm.allows(permission), "confirm lacks {permission}");
            }
            if AccessLevel::Confirm.allows(permission) {
                assert!(AccessLevel::Full.allows(permission), "full lacks {permission}");
            }
        }
        for higher in AccessLevel::ALL {
            for lower in AccessLevel::ALL {
                let nested = lower.permissions().iter().all(|p| higher.allows(*p));
                assert_eq!(higher.includes(lower), nested, "{higher} includes {lower}");
            }
        }
    }

    /// the bank withholds information services from the create level only.
    #[test]
    fn r_8_1_3_bank_restricts_information_services_of_create_level() {
        let restrictions = InformationRestrictions::new([Permission::ViewPos, Permission::ViewPlannedCredits]).unwrap();
        assert!(!restrictions.is_empty());
        assert_eq!(
            restrictions.permissions().collect::<Vec<_>>(),
            [Permission::ViewPos, Permission::ViewPlannedCredits]
        );
        for permission in Permission::ALL {
            let withheld = permission == Permission::ViewPos || permission == Permission::ViewPlannedCredits;
            assert_eq!(restrictions.contains(permission), withheld, "{permission}");
            assert_eq!(
                AccessLevel::Create.allows_with(permission, &restrictions),
                AccessLevel::Create.allows(permission) && !withheld,
                "create × {permission}"
            );
            assert_eq!(
                AccessLevel::Confirm.allows_with(permission, &restrictions),
                AccessLevel::Confirm.allows(permission)
            );
            assert_eq!(AccessLevel::Full.allows_with(permission, &restrictions), AccessLevel::Full.allows(permission));
        }
    }

    /// with no restriction, `allows_with` is `allows`.
    #[test]
    fn r_8_1_3_no_restrictions_change_nothing() {
        let none = InformationRestrictions::none();
        assert!(none.is_empty());
        assert_eq!(none, InformationRestrictions::default());
        for level in AccessLevel::ALL {
            for permission in Permission::ALL {
                assert_eq!(level.allows_with(permission, &none), level.allows(permission));
            }
        }
    }

    /// only information services can be withheld; drafting is what the level is for.
    #[test]
    fn r_8_1_3_only_information_services_can_be_withheld() {
        for permission in Permission::ALL {
            let result = InformationRestrictions::new([permission]);
            if permission.is_information_service() {
                assert!(result.is_ok(), "{permission}");
            } else {
                assert_eq!(result, Err(InformationRestrictionsError::NotInformationService(permission)));
            }
        }
        assert!(!Permission::CreatePayments.is_information_service());
        let everything = InformationRestrictions::new(INFORMATION_SERVICES).unwrap();
        assert_eq!(
            AccessLevel::Create
                .permissions()
                .iter()
                .filter(|p| AccessLevel::Create.allows_with(**p, &everything))
                .count(),
            AccessLevel::Create.permissions().len() - INFORMATION_SERVICES.len()
        );
        assert!(AccessLevel::Create.allows_with(Permission::CreatePayments, &everything));
    }
}
