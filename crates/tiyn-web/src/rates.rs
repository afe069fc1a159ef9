//! FX rates in the cabinet (issue 5, R-13.2, R-3.1.1.4): the partner's `/rates` page (the bank's
//! buy and sell rates in force, the National Bank's official rate as reference, and each pair's
//! last 30 days as a chart drawn on the server as SVG: no script, no inline style) and the
//! console's `/bank/rates` (the same table, a form to set a rate, an upload of the NBK's file).
//!
//! Everything goes through `tiyn_banking::rates` (which parses, decides and audits); the forms
//! here only read what was typed (a decimal comma is fine, a `datetime-local` is Almaty time) and
//! put refusals next to their fields.

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;
use tiyn_api::authz::RequestContext;
use tiyn_api::{ApiError, FieldError, Lang};
use tiyn_banking::rates::{RateFieldError, RatePeriod, RatesOn, RawRate, day_start};
use tiyn_core::{BankPermission, Currency};
use tiyn_fx::{DealingRate, Rate};
use tiyn_identity::BankActor;

use crate::WebState;
use crate::format;
use crate::forms::{FormErrors, is_internal, status_of};
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{PageMeta, Viewer, failure, forbidden, render};

/// The fields of the console's rate form, as the refusals name them.
const RATE_FIELDS: &[&str] = &["base", "quote", "buy", "sell", "valid_from"];

/// A rate as the page writes it: the decimal comma in ru and kk.
pub fn rate_text(rate: Rate, lang: Lang) -> String {
    let text = rate.to_string();
    match lang {
        Lang::Ru | Lang::Kk => text.replace('.', ","),
        Lang::En => text,
    }
}

/// One row of the rates table.
pub struct RateRow {
    pub id: String,
    pub pair: String,
    pub buy: String,
    pub sell: String,
    /// The NBK's rate per unit of the base currency (pairs against tenge), or a dash.
    pub official: String,
    pub since: String,
}

fn rows(on: &RatesOn, lang: Lang) -> Vec<RateRow> {
    on.rates
        .all()
        .iter()
        .map(|rate| {
            let official = on
                .official
                .as_ref()
                .filter(|_| rate.pair().quote() == Currency::Kzt)
                .and_then(|official| {
                    official.items.iter().find(|record| record.rate.currency == Some(rate.pair().base()))
                })
                .map_or_else(|| "—".to_owned(), |record| rate_text(record.rate.per_unit, lang));
            RateRow {
                id: rate.id().to_string(),
                pair: rate.pair().to_string(),
                buy: rate_text(rate.buy(), lang),
                sell: rate_text(rate.sell(), lang),
                official,
                since: format::date_time(rate.valid_from(), lang),
            }
        })
        .collect()
}

fn official_note(on: &RatesOn, t: &'static Texts, lang: Lang) -> Option<String> {
    on.official.as_ref().map(|official| fill(t.rates_official_note, &[("date", &format::date(official.date, lang))]))
}

/// A pair's history drawn as two step lines (sell above, buy below) in integer SVG coordinates.
pub struct Chart {
    pub id: String,
    pub pair: String,
    /// What the chart shows, for screen readers.
    pub label: String,
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub right: i64,
    pub top: i64,
    pub bottom: i64,
    /// `x,y x,y …`
    pub buy: String,
    pub sell: String,
    pub min: String,
    pub max: String,
    pub from: String,
    pub to: String,
    pub label_x: i64,
    pub top_label_y: i64,
    pub bottom_label_y: i64,
    pub date_y: i64,
}

/// The chart's frame: the plot between the margins, the labels outside.
const CHART_WIDTH: i64 = 640;
const CHART_HEIGHT: i64 = 220;
const CHART_LEFT: i64 = 72;
const CHART_RIGHT: i64 = 628;
const CHART_TOP: i64 = 16;
const CHART_BOTTOM: i64 = 186;

/// Draws `history` from `start` to `end`: each rate holds from its `valid_from` (or `start`) to
/// the next one (or `end`). Values scale between the period's lowest buy and highest sell, so
/// the spread stays visible; integers only (millionths and microseconds), nothing is rounded
/// but the pixel.
pub fn chart(
    history: &[DealingRate],
    start: Timestamp,
    end: Timestamp,
    lang: Lang,
    t: &'static Texts,
) -> Option<Chart> {
    let first = history.first()?;
    let low = history.iter().map(|rate| rate.buy().micros()).min()?;
    let high = history.iter().map(|rate| rate.sell().micros()).max()?;
    // A flat history still gets a band to draw in: ±1% around its value.
    let pad = ((high - low) / 10).max(high / 100).max(1);
    let (low, high) = (low - pad, high + pad);
    let (t0, t1) = (
        i128::from(start.as_microsecond()),
        i128::from(end.as_microsecond()).max(i128::from(start.as_microsecond()) + 1),
    );
    let x = |at: Timestamp| {
        let at = i128::from(at.as_microsecond()).clamp(t0, t1);
        let span = i128::from(CHART_RIGHT - CHART_LEFT);
        i64::try_from(i128::from(CHART_LEFT) + (at - t0) * span / (t1 - t0)).unwrap_or(CHART_LEFT)
    };
    let y = |micros: i64| {
        let span = i128::from(CHART_BOTTOM - CHART_TOP);
        let offset = i128::from(micros - low) * span / i128::from(high - low);
        i64::try_from(i128::from(CHART_BOTTOM) - offset).unwrap_or(CHART_BOTTOM)
    };
    let line = |value: fn(&DealingRate) -> Rate| {
        let mut points = Vec::with_capacity(history.len() * 2 + 1);
        for (index, rate) in history.iter().enumerate() {
            let from = x(rate.valid_from().max(start));
            let until = history.get(index + 1).map_or(x(end), |next| x(next.valid_from()));
            let level = y(value(rate).micros());
            points.push(format!("{from},{level}"));
            points.push(format!("{until},{level}"));
        }
        points.join(" ")
    };
    let pair = first.pair().to_string();
    let from = format::date(tiyn_identity::business_date(start), lang);
    let to = format::date(tiyn_identity::business_date(end), lang);
    let min_rate = Rate::from_micros(low + pad).ok()?;
    let max_rate = Rate::from_micros(high - pad).ok()?;
    debug_assert!(min_rate <= max_rate);
    Some(Chart {
        id: pair.replace('/', "-"),
        label: fill(t.rates_chart_label, &[("pair", &pair), ("from", &from), ("to", &to)]),
        pair,
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        left: CHART_LEFT,
        right: CHART_RIGHT,
        top: CHART_TOP,
        bottom: CHART_BOTTOM,
        buy: line(DealingRate::buy),
        sell: line(DealingRate::sell),
        min: rate_text(min_rate, lang),
        max: rate_text(max_rate, lang),
        from,
        to,
        label_x: CHART_LEFT - 6,
        top_label_y: y(high - pad) + 4,
        bottom_label_y: y(low + pad) + 4,
        date_y: CHART_HEIGHT - 12,
    })
}

#[derive(Template)]
#[template(path = "rates.html")]
pub struct RatesPage {
    pub t: &'static Texts,
    pub page: PageMeta,
    pub intro: String,
    pub rows: Vec<RateRow>,
    pub official_note: Option<String>,
    pub charts: Vec<Chart>,
}

/// `GET /rates`: the bank's rates in force now with the official ones, and 30 days of history.
pub async fn show(State(state): State<WebState>, lang: PageLang, viewer: Viewer) -> Response {
    let t = texts(lang.lang);
    let page = async {
        let on = state.banking.rates_on(None).await?;
        let today = on.date;
        let period = RatePeriod::recent(today);
        let start = day_start(period.from());
        let end = on.rates.instant();
        let mut charts = Vec::new();
        for rate in on.rates.all().iter().filter(|rate| rate.pair().quote() == Currency::Kzt) {
            let history = state.banking.rate_history(rate.pair(), period).await?;
            charts.extend(chart(&history, start, end, lang.lang, t));
        }
        Ok::<_, ApiError>(RatesPage {
            t,
            page: PageMeta::new(lang.lang, state.demo, "rates", "/rates", &viewer),
            intro: fill(t.rates_intro, &[("at", &format::date_time(end, lang.lang))]),
            rows: rows(&on, lang.lang),
            official_note: official_note(&on, t, lang.lang),
            charts,
        })
    };
    match page.await {
        Ok(page) => render(&page, StatusCode::OK, lang),
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}

// ----- the console -----

/// One option of a select.
pub struct Choice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

/// The rate form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RateForm {
    #[serde(default)]
    pub base: String,
    #[serde(default)]
    pub quote: String,
    #[serde(default)]
    pub buy: String,
    #[serde(default)]
    pub sell: String,
    #[serde(default)]
    pub valid_from: String,
}

pub struct OfficialItem {
    pub code: String,
    pub name: String,
    pub published: String,
    pub quant: u32,
    pub rate: String,
}

pub struct OfficialView {
    pub title: String,
    pub items: Vec<OfficialItem>,
}

#[derive(Template)]
#[template(path = "bank_rates.html")]
pub struct BankRatesPage {
    pub t: &'static Texts,
    pub page: PageMeta,
    pub intro: String,
    pub notice: Option<String>,
    pub errors: FormErrors,
    pub rows: Vec<RateRow>,
    pub official_note: Option<String>,
    pub can_manage: bool,
    pub bases: Vec<Choice>,
    pub quotes: Vec<Choice>,
    pub values: RateForm,
    pub official: Option<OfficialView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RatesDone {
    pub done: Option<String>,
    pub date: Option<String>,
    pub added: Option<usize>,
    pub replaced: Option<usize>,
    pub unchanged: Option<usize>,
}

fn actor_of(viewer: &Viewer) -> Option<BankActor> {
    viewer.principal.as_ref().and_then(BankActor::operator)
}

fn currency_choices(selected: &str, default: Currency) -> Vec<Choice> {
    let selected = if selected.is_empty() { default.code() } else { selected };
    Currency::ALL
        .into_iter()
        .map(|currency| Choice {
            code: currency.code().to_owned(),
            label: format!("{} {}", currency.code(), format::currency_sign(currency)),
            selected: currency.code() == selected,
        })
        .collect()
}

async fn bank_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<String>,
    values: RateForm,
    errors: FormErrors,
) -> Response {
    let t = texts(lang.lang);
    let on = match state.banking.rates_on(None).await {
        Ok(on) => on,
        Err(error) => return failure(state, lang, viewer, &error.into()),
    };
    let official = on.official.as_ref().map(|official| OfficialView {
        title: fill(t.official_title, &[("date", &format::date(official.date, lang.lang))]),
        items: official
            .items
            .iter()
            .map(|record| OfficialItem {
                code: record.rate.code.clone(),
                name: record.rate.name.clone(),
                published: rate_text(record.rate.published(), lang.lang),
                quant: record.rate.quant,
                rate: rate_text(record.rate.per_unit, lang.lang),
            })
            .collect(),
    });
    let page = BankRatesPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "bank_rates", "/bank/rates", viewer),
        intro: fill(t.rates_intro, &[("at", &format::date_time(on.rates.instant(), lang.lang))]),
        notice,
        errors,
        rows: rows(&on, lang.lang),
        official_note: official_note(&on, t, lang.lang),
        can_manage: viewer
            .principal
            .as_ref()
            .is_some_and(|principal| principal.allows_bank(BankPermission::ManageRates)),
        bases: currency_choices(&values.base, Currency::Usd),
        quotes: currency_choices(&values.quote, Currency::Kzt),
        values,
        official,
    };
    render(&page, status, lang)
}

/// `GET /bank/rates`: the rates in force, the forms, the latest official rates.
pub async fn bank_rates(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    query: Result<Query<RatesDone>, QueryRejection>,
) -> Response {
    if actor_of(&viewer).is_none() {
        return forbidden(lang, state.demo, &viewer);
    }
    let t = texts(lang.lang);
    let done = query.map(|Query(done)| done).unwrap_or_default();
    let notice = match done.done.as_deref() {
        Some("set") => Some(t.bank_rate_set.to_owned()),
        Some("imported") => Some(fill(
            t.nbk_imported,
            &[
                ("date", done.date.as_deref().unwrap_or_default()),
                ("added", &done.added.unwrap_or_default().to_string()),
                ("replaced", &done.replaced.unwrap_or_default().to_string()),
                ("unchanged", &done.unchanged.unwrap_or_default().to_string()),
            ],
        )),
        _ => None,
    };
    bank_page(&state, lang, &viewer, StatusCode::OK, notice, RateForm::default(), FormErrors::none()).await
}

/// A typed rate: spaces dropped, a decimal comma read as a point.
fn typed_rate(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).map(|c| if c == ',' { '.' } else { c }).collect()
}

/// A `datetime-local` value (`2026-11-24T15:00`) is Almaty time; anything else goes as typed.
fn typed_instant(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let local = text.len() >= 16
        && text.as_bytes().get(10) == Some(&b'T')
        && !text.ends_with('Z')
        && !text[10..].contains(['+', '-']);
    Some(match (local, text.len()) {
        (true, 16) => format!("{text}:00+05:00"),
        (true, _) => format!("{text}+05:00"),
        (false, _) => text.to_owned(),
    })
}

fn refusal(errors: Vec<RateFieldError>) -> ApiError {
    ApiError::Invalid(errors.into_iter().map(|error| FieldError::new(error.field, error.code, error.detail)).collect())
}

/// `POST /bank/rates`: sets a rate (the operator's action, audited).
pub async fn set_rate(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<RateForm>,
) -> Response {
    let Some(actor) = actor_of(&viewer) else { return forbidden(lang, state.demo, &viewer) };
    let raw = RawRate {
        base: form.base.clone(),
        quote: form.quote.clone(),
        buy: typed_rate(&form.buy),
        sell: typed_rate(&form.sell),
        valid_from: typed_instant(&form.valid_from),
    };
    let outcome = async {
        let rate = state.banking.parse_rate(&raw).map_err(refusal)?;
        Ok::<_, ApiError>(state.banking.set_rate(&context, &actor, rate).await?)
    };
    match outcome.await {
        Ok(_) => Redirect::to("/bank/rates?done=set").into_response(),
        Err(error) if is_internal(&error) => failure(&state, lang, &viewer, &error),
        Err(error) => {
            let errors = FormErrors::from_api(&error, lang.lang, RATE_FIELDS);
            bank_page(&state, lang, &viewer, status_of(&error), None, form, errors).await
        }
    }
}

/// `POST /bank/rates/nbk`: imports the NBK's file uploaded from the form (multipart; the
/// middleware has checked its `_csrf` part).
pub async fn import_nbk(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(actor) = actor_of(&viewer) else { return forbidden(lang, state.demo, &viewer) };
    let t = texts(lang.lang);
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let parts = match tiyn_api::multipart::boundary(content_type) {
        Some(boundary) => tiyn_api::multipart::parts(body, &boundary).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let file = parts.into_iter().find(|part| part.name == "file").map(|part| part.data).filter(|data| !data.is_empty());
    let Some(file) = file else {
        let errors = FormErrors::on("file", "required", t.nbk_file_required);
        return bank_page(&state, lang, &viewer, StatusCode::UNPROCESSABLE_ENTITY, None, RateForm::default(), errors)
            .await;
    };
    let outcome = async {
        let rates = tiyn_fx::nbk::parse_bytes(&file)
            .map_err(|error| ApiError::invalid("file", error.code(), error.to_string()))?;
        let import = state.banking.import_nbk_rates(&context, &actor, &rates).await?;
        Ok::<_, ApiError>((rates.date, import))
    };
    match outcome.await {
        Ok((date, import)) => Redirect::to(&format!(
            "/bank/rates?done=imported&date={}&added={}&replaced={}&unchanged={}#official",
            format::date(date, lang.lang),
            import.added.len(),
            import.replaced.len(),
            import.unchanged.len()
        ))
        .into_response(),
        Err(error) if is_internal(&error) => failure(&state, lang, &viewer, &error),
        Err(error) => {
            let errors = FormErrors::from_api(&error, lang.lang, &["file"]);
            bank_page(&state, lang, &viewer, status_of(&error), None, RateForm::default(), errors).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiyn_fx::{Pair, RateId};

    fn at(text: &str) -> Timestamp {
        text.parse().expect("instant")
    }

    fn rate(id: i64, buy: &str, sell: &str, from: &str) -> DealingRate {
        let pair = Pair::against_tenge(Currency::Usd).expect("pair");
        DealingRate::new(
            RateId::new(id),
            pair,
            Rate::parse(buy).expect("buy"),
            Rate::parse(sell).expect("sell"),
            at(from),
        )
        .expect("rate")
    }

    /// the chart steps at each change, sell above buy, inside the plot, and starts with
    /// the rate already in force at the period's start.
    #[test]
    fn r_13_2_the_history_chart_steps_at_each_change() {
        let t = texts(Lang::Ru);
        let history = [rate(1, "470", "480", "2026-10-01T04:00:00Z"), rate(2, "475", "485", "2026-11-10T04:00:00Z")];
        let start = at("2026-10-25T19:00:00Z");
        let end = at("2026-11-24T05:00:00Z");
        let chart = chart(&history, start, end, Lang::Ru, t).expect("a chart");
        let points = |line: &str| -> Vec<(i64, i64)> {
            line.split(' ')
                .map(|point| {
                    let (x, y) = point.split_once(',').expect("x,y");
                    (x.parse().expect("x"), y.parse().expect("y"))
                })
                .collect()
        };
        let (buy, sell) = (points(&chart.buy), points(&chart.sell));
        assert_eq!(buy.len(), 4);
        assert_eq!(buy[0].0, CHART_LEFT, "the first rate holds from the start");
        assert_eq!(buy[3].0, CHART_RIGHT, "the last rate holds until now");
        assert_eq!(buy[1].0, buy[2].0, "a vertical step at the change");
        assert!(buy[2].1 < buy[1].1, "the rate went up: the line goes up");
        for ((_, buy_y), (_, sell_y)) in buy.iter().zip(&sell) {
            assert!(sell_y < buy_y, "sell is above buy");
            assert!((CHART_TOP..=CHART_BOTTOM).contains(buy_y) && (CHART_TOP..=CHART_BOTTOM).contains(sell_y));
        }
        assert_eq!((chart.min.as_str(), chart.max.as_str()), ("470,00", "485,00"));
        assert_eq!((chart.from.as_str(), chart.to.as_str()), ("26.10.2026", "24.11.2026"));
        assert_eq!(chart.label, "USD/KZT: курсы покупки и продажи с 26.10.2026 по 24.11.2026");
        assert!(super::chart(&[], start, end, Lang::Ru, t).is_none());
    }

    #[test]
    fn typed_values_read_like_the_api_expects() {
        assert_eq!(typed_rate(" 473,60 "), "473.60");
        assert_eq!(typed_rate("1 000.5"), "1000.5");
        assert_eq!(typed_instant("2026-11-24T15:00").as_deref(), Some("2026-11-24T15:00:00+05:00"));
        assert_eq!(typed_instant("2026-11-24T15:00:30").as_deref(), Some("2026-11-24T15:00:30+05:00"));
        assert_eq!(typed_instant("2026-11-24T15:00:00Z").as_deref(), Some("2026-11-24T15:00:00Z"));
        assert_eq!(typed_instant("2026-11-24T15:00:00+03:00").as_deref(), Some("2026-11-24T15:00:00+03:00"));
        assert_eq!(typed_instant(" "), None);
        assert_eq!(rate_text(Rate::parse("0.0396").expect("rate"), Lang::Kk), "0,0396");
    }
}
