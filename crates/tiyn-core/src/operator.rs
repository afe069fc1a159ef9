//! The bank's own people: operator roles and what each may do, written once as data (the bank's
//! side of the permission matrix; the partners' side is [`crate::access`]).

use std::fmt;

/// The role of a bank operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorRole {
    /// Connects partners from their applications and manages operators; everything below too.
    Administrator,
    /// The bank's security service: blocks and unblocks users, lifts lockouts (R-6.1.4, R-6.1.8,
    /// ), reads every partner and the whole audit trail.
    Security,
    /// Support and control: reads partners and the audit trail, changes nothing.
    Viewer,
}

/// Something a route lets an operator do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BankPermission {
    /// Partners with their accounts and users.
    ViewPartners,
    /// Create a partner, its accounts and users from a joining application, and set the
    /// scope of its services.
    CreatePartners,
    /// Block and unblock any user, lift lockouts.
    BlockUsers,
    /// The whole audit trail.
    ViewBankAudit,
    /// Create operators.
    ManageOperators,
    /// A partner's tariff plan, limits and the document kinds switched off (R-4.15, R-6.1.7,
    ///
    ManagePaymentRules,
    /// The bank's dealing rates and the import of the National Bank's official rates (R-13.2,
    /// R-3.1.1.4).
    ManageRates,
    /// Restrictions on accounts (arrests, suspensions of debits, closing) and the list of persons
    /// linked to terrorism or extremism financing.
    ManageRestrictions,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperatorRoleError {
    #[error("the operator role must be one of: administrator, security, viewer")]
    Unknown,
}

impl OperatorRoleError {
    pub fn code(&self) -> &'static str {
        "invalid_operator_role"
    }
}

const ADMINISTRATOR: &[BankPermission] = &[
    BankPermission::ViewPartners,
    BankPermission::CreatePartners,
    BankPermission::BlockUsers,
    BankPermission::ViewBankAudit,
    BankPermission::ManageOperators,
    BankPermission::ManagePaymentRules,
    BankPermission::ManageRates,
    BankPermission::ManageRestrictions,
];
const SECURITY: &[BankPermission] = &[
    BankPermission::ViewPartners,
    BankPermission::BlockUsers,
    BankPermission::ViewBankAudit,
    BankPermission::ManageRestrictions,
];
const VIEWER: &[BankPermission] = &[BankPermission::ViewPartners, BankPermission::ViewBankAudit];

impl OperatorRole {
    pub const ALL: [OperatorRole; 3] = [OperatorRole::Administrator, OperatorRole::Security, OperatorRole::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            OperatorRole::Administrator => "administrator",
            OperatorRole::Security => "security",
            OperatorRole::Viewer => "viewer",
        }
    }

    pub fn parse(input: &str) -> Result<OperatorRole, OperatorRoleError> {
        OperatorRole::ALL.into_iter().find(|role| role.as_str() == input).ok_or(OperatorRoleError::Unknown)
    }

    pub fn permissions(self) -> &'static [BankPermission] {
        match self {
            OperatorRole::Administrator => ADMINISTRATOR,
            OperatorRole::Security => SECURITY,
            OperatorRole::Viewer => VIEWER,
        }
    }

    pub fn allows(self, permission: BankPermission) -> bool {
        self.permissions().contains(&permission)
    }
}

impl fmt::Display for OperatorRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl BankPermission {
    pub const ALL: [BankPermission; 8] = [
        BankPermission::ViewPartners,
        BankPermission::CreatePartners,
        BankPermission::BlockUsers,
        BankPermission::ViewBankAudit,
        BankPermission::ManageOperators,
        BankPermission::ManagePaymentRules,
        BankPermission::ManageRates,
        BankPermission::ManageRestrictions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BankPermission::ViewPartners => "view_partners",
            BankPermission::CreatePartners => "create_partners",
            BankPermission::BlockUsers => "block_users",
            BankPermission::ViewBankAudit => "view_bank_audit",
            BankPermission::ManageOperators => "manage_operators",
            BankPermission::ManagePaymentRules => "manage_payment_rules",
            BankPermission::ManageRates => "manage_rates",
            BankPermission::ManageRestrictions => "manage_restrictions",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_nest() {
        for role in OperatorRole::ALL {
            assert_eq!(OperatorRole::parse(role.as_str()), Ok(role));
        }
        assert_eq!(OperatorRole::parse("root"), Err(OperatorRoleError::Unknown));
        // Viewer ⊂ Security ⊂ Administrator.
        for permission in BankPermission::ALL {
            if OperatorRole::Viewer.allows(permission) {
                assert!(OperatorRole::Security.allows(permission), "{permission:?}");
            }
            if OperatorRole::Security.allows(permission) {
                assert!(OperatorRole::Administrator.allows(permission), "{permission:?}");
            }
        }
        assert!(!OperatorRole::Viewer.allows(BankPermission::BlockUsers));
        assert!(!OperatorRole::Security.allows(BankPermission::CreatePartners));
        assert!(OperatorRole::Administrator.permissions().len() == BankPermission::ALL.len());
    }
}
