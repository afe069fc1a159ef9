//! SQLite's own page cache (pcache1), without a scan of the whole cache at the end of a transaction.
//!
//! When a B-tree page splits, SQLite (`balance_nonroot`) puts the new pages in page-number order by
//! swapping two of them through a spare key: the number of the file's lock page (1 GiB / page
//! size + 1, page 1,048,577 at our 1 KiB pages). pcache1 remembers the largest key it ever held,
//! and at the end of every transaction the pager truncates the cache to the database's size: when
//! that remembered key is above the size, pcache1 walks its whole hash table looking for pages to
//! drop. In a file under 1 GiB, every transaction that swapped pages so paid a walk of the entire
//! cache, with nothing to drop: a third of the ledger writer's time with its 64 MiB cache (`perf`,
//! `docs/benchmarks.md`, session 10).
//!
//! This cache hands every call to pcache1 and keeps, per cache, an upper bound of the keys it holds
//! (other than the lock page's) and a count of the pages parked on the lock page's key. A
//! truncation that cannot drop anything (no page parked, every key below the limit) is not passed
//! on; every other call, and every truncation that may drop a page, is pcache1's, unchanged.
//!
//! SQLite takes a page cache only before it is initialised, i.e. before the process opens its
//! first connection, and while no other thread calls SQLite; [`install`] is called first thing
//! when a store opens (the server and the tests open a store before any other connection; the
//! test runner, nextest, runs each test in its own process). If SQLite was already initialised
//! (a program that opened a connection of its own first), pcache1 stays as it is: the same
//! results, only slower commits.

use std::ffi::{c_int, c_uint};
use std::mem::MaybeUninit;
use std::sync::OnceLock;

use rusqlite::ffi;

/// SQLite's lock byte: no page holds it, and its page number is the spare key of page swaps.
const PENDING_BYTE: i64 = 0x4000_0000;

/// pcache1's methods, as SQLite had them before [`install`].
struct Pcache1(ffi::sqlite3_pcache_methods2);
// SAFETY: the methods are plain functions and `pArg` is a pointer SQLite only passes back to them;
// pcache1 is thread-safe (it locks its own groups).
unsafe impl Send for Pcache1 {}
unsafe impl Sync for Pcache1 {}

static PCACHE1: OnceLock<Pcache1> = OnceLock::new();
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Puts this cache in front of pcache1 for every connection the process opens from now on; true
/// when it is in place (false: SQLite was already initialised, see the module's documentation).
pub(crate) fn install() -> bool {
    *INSTALLED.get_or_init(|| unsafe { install_once() })
}

/// # Safety
/// Called once, through `INSTALLED`.
unsafe fn install_once() -> bool {
    let mut pcache1 = MaybeUninit::<ffi::sqlite3_pcache_methods2>::zeroed();
    // SAFETY: GETPCACHE2 writes one `sqlite3_pcache_methods2` (SQLite's variadic interface).
    if unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_GETPCACHE2, pcache1.as_mut_ptr()) } != ffi::SQLITE_OK {
        tracing::debug!("SQLite is already initialised; its page cache is left as it is");
        return false;
    }
    // SAFETY: written by SQLite just above.
    let pcache1 = unsafe { pcache1.assume_init() };
    let methods = ffi::sqlite3_pcache_methods2 {
        iVersion: pcache1.iVersion,
        pArg: pcache1.pArg,
        xInit: pcache1.xInit,
        xShutdown: pcache1.xShutdown,
        xCreate: Some(create),
        xCachesize: Some(cache_size),
        xPagecount: Some(page_count),
        xFetch: Some(fetch),
        xUnpin: Some(unpin),
        xRekey: Some(rekey),
        xTruncate: Some(truncate),
        xDestroy: Some(destroy),
        xShrink: Some(shrink),
    };
    if PCACHE1.set(Pcache1(pcache1)).is_err() {
        return false;
    }
    // SAFETY: PCACHE2 copies the struct; every function in it is valid for the process.
    let code = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_PCACHE2, &raw const methods) };
    code == ffi::SQLITE_OK
}

fn pcache1() -> &'static ffi::sqlite3_pcache_methods2 {
    // Set before SQLite can call any function of this module.
    &PCACHE1.get().expect("pcache1 is known before the cache is installed").0
}

/// One connection's cache: pcache1's, and what is known of its keys.
struct Cache {
    pcache1: *mut ffi::sqlite3_pcache,
    /// The lock page's number for this cache's page size: the spare key of page swaps.
    lock_key: c_uint,
    /// No page has a larger key, except those parked on `lock_key`.
    max_key: c_uint,
    /// Pages moved onto `lock_key` and not yet moved off it (a swap parks one for a moment).
    parked: u32,
}

/// # Safety
/// `cache` was returned by [`create`] and not yet destroyed; SQLite uses one cache from one thread
/// at a time.
unsafe fn cache<'a>(cache: *mut ffi::sqlite3_pcache) -> &'a mut Cache {
    // SAFETY: the caller's contract.
    unsafe { &mut *cache.cast::<Cache>() }
}

unsafe extern "C" fn create(page_size: c_int, extra: c_int, purgeable: c_int) -> *mut ffi::sqlite3_pcache {
    let Some(create) = pcache1().xCreate else { return std::ptr::null_mut() };
    // SAFETY: SQLite's arguments, passed on.
    let inner = unsafe { create(page_size, extra, purgeable) };
    if inner.is_null() {
        return inner; // out of memory: SQLite reports it
    }
    let lock_key = c_uint::try_from(PENDING_BYTE / i64::from(page_size.max(1)) + 1).unwrap_or(c_uint::MAX);
    Box::into_raw(Box::new(Cache { pcache1: inner, lock_key, max_key: 0, parked: 0 })).cast()
}

unsafe extern "C" fn cache_size(this: *mut ffi::sqlite3_pcache, pages: c_int) {
    if let Some(method) = pcache1().xCachesize {
        // SAFETY: a cache of `create`; SQLite's arguments.
        unsafe { method(cache(this).pcache1, pages) }
    }
}

unsafe extern "C" fn page_count(this: *mut ffi::sqlite3_pcache) -> c_int {
    // SAFETY: a cache of `create`.
    pcache1().xPagecount.map_or(0, |method| unsafe { method(cache(this).pcache1) })
}

unsafe extern "C" fn fetch(
    this: *mut ffi::sqlite3_pcache,
    key: c_uint,
    create: c_int,
) -> *mut ffi::sqlite3_pcache_page {
    let Some(method) = pcache1().xFetch else { return std::ptr::null_mut() };
    // SAFETY: a cache of `create`; SQLite's arguments.
    unsafe {
        let cache = cache(this);
        let page = method(cache.pcache1, key, create);
        if !page.is_null() {
            cache.max_key = cache.max_key.max(key);
        }
        page
    }
}

unsafe extern "C" fn unpin(this: *mut ffi::sqlite3_pcache, page: *mut ffi::sqlite3_pcache_page, discard: c_int) {
    if let Some(method) = pcache1().xUnpin {
        // SAFETY: a cache of `create`; SQLite's arguments.
        unsafe { method(cache(this).pcache1, page, discard) }
    }
}

unsafe extern "C" fn rekey(
    this: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    old_key: c_uint,
    new_key: c_uint,
) {
    let Some(method) = pcache1().xRekey else { return };
    // SAFETY: a cache of `create`; SQLite's arguments.
    unsafe {
        let cache = cache(this);
        method(cache.pcache1, page, old_key, new_key);
        if new_key == cache.lock_key {
            cache.parked += 1;
        } else {
            cache.max_key = cache.max_key.max(new_key);
        }
        if old_key == cache.lock_key {
            cache.parked = cache.parked.saturating_sub(1);
        }
    }
}

unsafe extern "C" fn truncate(this: *mut ffi::sqlite3_pcache, limit: c_uint) {
    let Some(method) = pcache1().xTruncate else { return };
    // SAFETY: a cache of `create`; SQLite's arguments.
    unsafe {
        let cache = cache(this);
        if cache.parked == 0 && limit > cache.max_key {
            return; // no page has a key of `limit` or more: nothing to drop
        }
        method(cache.pcache1, limit);
        cache.max_key = cache.max_key.min(limit.saturating_sub(1));
        if limit <= cache.lock_key {
            cache.parked = 0;
        }
    }
}

unsafe extern "C" fn destroy(this: *mut ffi::sqlite3_pcache) {
    // SAFETY: a cache of `create`, destroyed once; SQLite never uses it again.
    unsafe {
        let cache = Box::from_raw(this.cast::<Cache>());
        if let Some(method) = pcache1().xDestroy {
            method(cache.pcache1);
        }
    }
}

unsafe extern "C" fn shrink(this: *mut ffi::sqlite3_pcache) {
    if let Some(method) = pcache1().xShrink {
        // SAFETY: a cache of `create`.
        unsafe { method(cache(this).pcache1) }
    }
}
