//! Where Kazakhstan's requisites travel in an ISO 20022 message: the one place to change when the
//! National Bank's MX usage guidelines are at hand (see the module documentation of
//! [`crate::iso20022`] for why these elements).

use tiyn_core::{Kbe, Residency, TaxpayerId};

/// A Kazakhstan code of a payment order for which ISO 20022 has no element of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KzCode {
    /// *Код назначения платежа*, 3 digits.
    Knp,
    /// *Код отправителя денег*: the payer's residency and sector, 2 digits.
    Kod,
    /// *Код бенефициара*: the payee's residency and sector, 2 digits.
    Kbe,
    /// *Код бюджетной классификации*, 6 digits, on budget payments only.
    Kbk,
}

/// How one Kazakhstan code is carried: as a `RgltryRptg/Dtls` entry whose `Tp` is
/// `detail_type` and whose `Cd` is the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegulatoryDetail {
    pub code: KzCode,
    /// The `RgltryRptg/Dtls/Tp` text (`Max35Text`).
    pub detail_type: &'static str,
    /// The element path an import error names for this code (relative to `CdtTrfTxInf`).
    pub path: &'static str,
}

/// Every Kazakhstan code and its `RgltryRptg/Dtls/Tp`, in the order they are written. The type
/// names are the codes' own abbreviations, as the MT-era national format tagged them (`/KNP/`;
/// FACTS.md §7), so a person reading a message recognises them.
pub const REGULATORY_DETAILS: [RegulatoryDetail; 4] = [
    RegulatoryDetail { code: KzCode::Knp, detail_type: "KNP", path: "CdtTrfTxInf/RgltryRptg/Dtls[Tp=KNP]/Cd" },
    RegulatoryDetail { code: KzCode::Kod, detail_type: "KOD", path: "CdtTrfTxInf/RgltryRptg/Dtls[Tp=KOD]/Cd" },
    RegulatoryDetail { code: KzCode::Kbe, detail_type: "KBE", path: "CdtTrfTxInf/RgltryRptg/Dtls[Tp=KBE]/Cd" },
    RegulatoryDetail { code: KzCode::Kbk, detail_type: "KBK", path: "CdtTrfTxInf/RgltryRptg/Dtls[Tp=KBK]/Cd" },
];

/// The `RgltryRptg/DbtCdtRptgInd` of the Kazakhstan block: the codes describe both sides.
pub const REGULATORY_REPORTING_SIDE: &str = "BOTH";

/// The `RgltryRptg/Authrty/Ctry`: the codes are Kazakhstan's (NBK resolution No. 203, the
/// budget classification of the Ministry of Finance).
pub const REGULATORY_AUTHORITY_COUNTRY: &str = "KZ";

/// The KNP also goes in `Purp/Prtry`, ISO's own element for a proprietary purpose code.
pub const KNP_PURPOSE_PATH: &str = "CdtTrfTxInf/Purp/Prtry";

/// `SchmeNm/Prtry` of a BIN, under `Id/OrgId/Othr`.
pub const BIN_SCHEME: &str = "BIN";

/// `SchmeNm/Prtry` of an IIN, under `Id/PrvtId/Othr`: an IIN is a person's, an individual
/// entrepreneur's included, and ISO 20022 identifies persons under `PrvtId`.
pub const IIN_SCHEME: &str = "IIN";

/// `CtryOfRes` of a resident party (first digit of the KOd/KBe is 1). A non-resident's country
/// is not in the requisites, so no `CtryOfRes` is written for one.
pub const RESIDENT_COUNTRY: &str = "KZ";

/// The `RgltryRptg/Dtls/Tp` of a code.
pub fn detail_type(code: KzCode) -> &'static str {
    regulatory_detail(code).detail_type
}

pub fn regulatory_detail(code: KzCode) -> &'static RegulatoryDetail {
    match REGULATORY_DETAILS.iter().find(|detail| detail.code == code) {
        Some(detail) => detail,
        None => unreachable!("REGULATORY_DETAILS has every KzCode"),
    }
}

/// The `SchmeNm/Prtry` of a taxpayer id.
pub fn taxpayer_id_scheme(taxpayer_id: &TaxpayerId) -> &'static str {
    match taxpayer_id {
        TaxpayerId::Bin(_) => BIN_SCHEME,
        TaxpayerId::Iin(_) => IIN_SCHEME,
    }
}

/// The `CtryOfRes` a party's KOd/KBe gives, if any.
pub fn country_of_residence(code: Kbe) -> Option<&'static str> {
    match code.residency() {
        Residency::Resident => Some(RESIDENT_COUNTRY),
        Residency::NonResident => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_detail_and_its_path_names_its_type() {
        for code in [KzCode::Knp, KzCode::Kod, KzCode::Kbe, KzCode::Kbk] {
            assert_eq!(REGULATORY_DETAILS.iter().filter(|detail| detail.code == code).count(), 1, "{code:?}");
            let detail = regulatory_detail(code);
            assert!(detail.path.contains(&format!("[Tp={}]", detail.detail_type)), "{detail:?}");
            assert!(!detail.detail_type.is_empty() && detail.detail_type.len() <= 35);
        }
        assert_eq!(country_of_residence(Kbe::parse("17").unwrap()), Some("KZ"));
        assert_eq!(country_of_residence(Kbe::parse("27").unwrap()), None);
    }
}
