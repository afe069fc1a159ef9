//! The server's integration tests, one binary: each module is the story of one area (routes,
//! cabinet pages, exports…) told through the real router on either backend (`TIYN_TEST_BACKEND`).
//! One binary rather than one per file: each links the whole server, and forty of them cost
//! gigabytes of disk and minutes of linking.

mod common;

mod admin;
mod api;
mod audit;
mod authz;
mod cabinet;
mod cabinet_bank;
mod cabinet_bank_rules;
mod cabinet_conversions;
mod cabinet_directories;
mod cabinet_foreign;
mod cabinet_import;
mod cabinet_means;
mod cabinet_messages;
mod cabinet_payments;
mod cabinet_pos;
mod cabinet_rates;
mod cabinet_statements;
mod cabinet_templates;
mod conversions;
mod directories;
mod foreign;
mod gateway;
mod gateway_http;
mod http;
mod logs;
mod marketplace_payouts;
mod means;
mod messages;
mod payment_exports;
mod payment_rules;
mod payment_templates;
mod payments;
mod payments_import;
mod payments_receipt;
mod pos;
mod rates;
mod sessions;
mod startup;
mod statements;
mod tls;
