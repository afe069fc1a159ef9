//! One write per commit to the write-ahead log: a thin SQLite VFS over the default one.
//!
//! SQLite appends a commit's pages to the WAL file with two `pwrite`s per page (a 24-byte frame
//! header, then the page), then fsyncs the file. A ledger batch of 32 transfers dirties about 150
//! pages, so its commit made some 300 system calls before its fsync, and they cost more than the
//! fsync itself (0.4 ms against 0.2 ms on the project's machine, `docs/benchmarks.md`).
//!
//! This VFS, registered as [`NAME`], is the default VFS except for WAL files: those it opens with a
//! layer that keeps consecutive writes in memory and hands them to the real file as one write
//! before any other operation on the file: before the commit's `xSync` above all, and before a
//! read, a truncation, a size query, a write elsewhere in the file, a file control or the close.
//! What reaches the disk, in which order, and when the fsync returns is unchanged; only the number
//! of system calls that carry it is.
//!
//! Why readers never see a frame that is still in memory: SQLite publishes a commit to other
//! connections by updating the wal-index (shared memory) only after `walFrames` has written, and
//! with `synchronous=FULL` synced, the commit's frames; the sync flushes the buffer first. Frames a
//! transaction spills before its commit are not published until that commit either; if its own
//! connection reads them back, the read flushes first. Under `synchronous=NORMAL` a commit is
//! published without a sync, so the store uses this VFS only for its durable writer connection,
//! which sets `synchronous=FULL` before it writes anything, checks it, and never changes it; never
//! for readers, the checkpointer, or a connection opened not durable.
//!
//! A write that fails when the buffer is handed over fails the call that flushed it (the sync, in
//! practice): the commit fails and SQLite rolls the transaction back, as when its own `pwrite`
//! fails. All `unsafe` code of the store is in this module.

use std::ffi::{CStr, c_int, c_void};
use std::ptr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, Ordering};

use rusqlite::ffi;

/// The VFS's registered name, for `Connection::open_with_flags_and_vfs`.
pub(crate) const NAME: &CStr = c"tiyn-wal-buffer";

/// Pending bytes handed over early anyway, so that one huge transaction (a migration, an import)
/// does not hold its whole log in memory.
const PENDING_MAX_BYTES: usize = 4 * 1024 * 1024;

/// The most the default (unix) VFS writes in one call: it masks a larger size to its low 17 bits
/// (`seekAndWriteFd`), so 128 KiB would write nothing. A multiple of 4 KiB below that.
const WRITE_MAX_BYTES: usize = 0x1ffff & !0xfff;

/// The default VFS, which does all the real work.
static DEFAULT_VFS: AtomicPtr<ffi::sqlite3_vfs> = AtomicPtr::new(ptr::null_mut());
static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Registers the VFS (once per process) and returns its name.
pub(crate) fn register() -> Result<&'static CStr, String> {
    REGISTERED.get_or_init(|| unsafe { register_once() }).clone().map(|()| NAME)
}

/// # Safety
/// Called once, through `REGISTERED`.
unsafe fn register_once() -> Result<(), String> {
    // SAFETY: `sqlite3_vfs_find` initialises SQLite and returns a VFS that lives as long as the
    // process (the default VFS is never unregistered).
    let default = unsafe { ffi::sqlite3_vfs_find(ptr::null()) };
    if default.is_null() {
        return Err("SQLite has no default VFS".into());
    }
    // A copy of the default: its functions (full path names, access, randomness, time, ...) see
    // the same `pAppData` and limits as in the original. Only opening a file differs, and the file
    // object has room for the layer in front of the default's.
    // SAFETY: `default` is a valid VFS (above).
    let mut vfs: ffi::sqlite3_vfs = unsafe { *default };
    let default_file_size = usize::try_from(vfs.szOsFile).map_err(|_| "the default VFS's file size is negative")?;
    vfs.szOsFile = c_int::try_from(INNER_OFFSET + default_file_size).map_err(|_| "file object too large")?;
    vfs.zName = NAME.as_ptr();
    vfs.pNext = ptr::null_mut();
    vfs.xOpen = Some(open);
    DEFAULT_VFS.store(default, Ordering::Release);
    let vfs = Box::leak(Box::new(vfs)); // registered for the rest of the process
    // SAFETY: `vfs` is valid for the rest of the process; registering is thread-safe in SQLite.
    match unsafe { ffi::sqlite3_vfs_register(vfs, 0) } {
        ffi::SQLITE_OK => Ok(()),
        code => Err(format!("cannot register the SQLite VFS {NAME:?}: code {code}")),
    }
}

/// Bytes written but not yet handed to the file: `data` belongs at offset `start`.
#[derive(Default)]
struct Pending {
    data: Vec<u8>,
    start: i64,
}

/// A WAL file opened through this VFS. SQLite allocates `szOsFile` bytes for it: this header,
/// then, at `INNER_OFFSET`, the default VFS's own file object.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    pending: *mut Pending,
}

const INNER_OFFSET: usize = size_of::<WalFile>().next_multiple_of(8);

static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

/// The default VFS's file object inside ours.
///
/// # Safety
/// `file` was opened by [`open`] as a WAL file.
unsafe fn inner(file: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    // SAFETY: the allocation is `szOsFile` bytes, `INNER_OFFSET` plus the default's file object.
    unsafe { file.cast::<u8>().add(INNER_OFFSET).cast() }
}

/// The default VFS's methods for its file object inside ours.
///
/// # Safety
/// As for [`inner`]; the inner file is open (its `pMethods` is set) while ours is.
unsafe fn inner_methods(file: *mut ffi::sqlite3_file) -> &'static ffi::sqlite3_io_methods {
    // SAFETY: see above; the default VFS's method tables are static.
    unsafe { &*(*inner(file)).pMethods }
}

/// # Safety
/// As for [`inner`].
unsafe fn pending<'a>(file: *mut ffi::sqlite3_file) -> &'a mut Pending {
    // SAFETY: `pending` was set by `open` and is freed only by `close`; SQLite never uses one
    // file object from two threads at once.
    unsafe { &mut *(*file.cast::<WalFile>()).pending }
}

/// Hands the pending bytes to the file, in as few writes as the default VFS takes.
///
/// # Safety
/// As for [`inner`].
unsafe fn flush(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: the caller's contract.
    let (pending, methods) = unsafe { (pending(file), inner_methods(file)) };
    let Some(write) = methods.xWrite else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    let mut code = ffi::SQLITE_OK;
    let mut offset = pending.start;
    for chunk in pending.data.chunks(WRITE_MAX_BYTES) {
        let amount = chunk.len() as c_int; // at most WRITE_MAX_BYTES
        // SAFETY: the inner file is open; `chunk` is valid for `amount` bytes.
        code = unsafe { write(inner(file), chunk.as_ptr().cast(), amount, offset) };
        if code != ffi::SQLITE_OK {
            break;
        }
        offset += amount as i64;
    }
    pending.data.clear();
    code
}

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let default = DEFAULT_VFS.load(Ordering::Acquire);
    // SAFETY: set before the VFS was registered, valid for the process.
    let Some(default_open) = (unsafe { (*default).xOpen }) else {
        return ffi::SQLITE_CANTOPEN;
    };
    if flags & ffi::SQLITE_OPEN_WAL == 0 {
        // Every other file is the default's own object, at the start of the (larger) allocation.
        // SAFETY: SQLite's arguments, passed on.
        return unsafe { default_open(default, name, file, flags, out_flags) };
    }
    // SAFETY: `file` points to `szOsFile` writable bytes. SQLite calls `xClose` only if `pMethods`
    // is set, so it stays null until the inner file is open.
    unsafe {
        (*file).pMethods = ptr::null();
        let code = default_open(default, name, inner(file), flags, out_flags);
        if code != ffi::SQLITE_OK {
            let inner_file = inner(file);
            if let Some(close) = (*inner_file).pMethods.as_ref().and_then(|methods| methods.xClose) {
                close(inner_file);
            }
            return code;
        }
        ptr::write(&raw mut (*file.cast::<WalFile>()).pending, Box::into_raw(Box::default()));
        (*file).pMethods = &WAL_METHODS;
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn write(file: *mut ffi::sqlite3_file, data: *const c_void, amount: c_int, offset: i64) -> c_int {
    let Ok(length) = usize::try_from(amount) else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    // SAFETY: SQLite's file, opened by `open`; `data` is valid for `amount` bytes.
    unsafe {
        let pending = pending(file);
        let end = pending.start + pending.data.len() as i64;
        if !pending.data.is_empty() && offset != end {
            // Not the next bytes (a frame rewritten in place): what is pending goes first.
            let code = flush(file);
            if code != ffi::SQLITE_OK {
                return code;
            }
        }
        let pending = self::pending(file);
        if pending.data.is_empty() {
            pending.start = offset;
        }
        pending.data.extend_from_slice(std::slice::from_raw_parts(data.cast::<u8>(), length));
        if pending.data.len() >= PENDING_MAX_BYTES {
            return flush(file);
        }
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite's file, opened by `open`; closed once, after which SQLite never uses it.
    unsafe {
        let flushed = flush(file);
        let closed = match inner_methods(file).xClose {
            Some(close) => close(inner(file)),
            None => ffi::SQLITE_OK,
        };
        drop(Box::from_raw((*file.cast::<WalFile>()).pending));
        (*file).pMethods = ptr::null();
        if flushed != ffi::SQLITE_OK { flushed } else { closed }
    }
}

/// Every method but `xWrite` and `xClose`: flush what is pending, then the default's method.
macro_rules! flushed_then_inner {
    ($name:ident, $method:ident, ($($arg:ident: $type:ty),*), $missing:expr) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file $(, $arg: $type)*) -> c_int {
            // SAFETY: SQLite's file, opened by `open`; the arguments are SQLite's, passed on.
            unsafe {
                let code = flush(file);
                if code != ffi::SQLITE_OK {
                    return code;
                }
                match inner_methods(file).$method {
                    Some(method) => method(inner(file) $(, $arg)*),
                    None => $missing,
                }
            }
        }
    };
}

flushed_then_inner!(read, xRead, (data: *mut c_void, amount: c_int, offset: i64), ffi::SQLITE_IOERR_READ);
flushed_then_inner!(truncate, xTruncate, (size: i64), ffi::SQLITE_IOERR_TRUNCATE);
flushed_then_inner!(sync, xSync, (flags: c_int), ffi::SQLITE_IOERR_FSYNC);
flushed_then_inner!(file_size, xFileSize, (size: *mut i64), ffi::SQLITE_IOERR_FSTAT);
flushed_then_inner!(lock, xLock, (level: c_int), ffi::SQLITE_IOERR_LOCK);
flushed_then_inner!(unlock, xUnlock, (level: c_int), ffi::SQLITE_IOERR_UNLOCK);
flushed_then_inner!(check_reserved_lock, xCheckReservedLock, (result: *mut c_int), ffi::SQLITE_IOERR_CHECKRESERVEDLOCK);
flushed_then_inner!(file_control, xFileControl, (operation: c_int, argument: *mut c_void), ffi::SQLITE_NOTFOUND);
flushed_then_inner!(sector_size, xSectorSize, (), 4096);
flushed_then_inner!(device_characteristics, xDeviceCharacteristics, (), 0);
flushed_then_inner!(shm_map, xShmMap, (page: c_int, page_size: c_int, extend: c_int, mapped: *mut *mut c_void), ffi::SQLITE_IOERR_SHMMAP);
flushed_then_inner!(shm_lock, xShmLock, (offset: c_int, count: c_int, flags: c_int), ffi::SQLITE_IOERR_SHMLOCK);
flushed_then_inner!(shm_unmap, xShmUnmap, (delete: c_int), ffi::SQLITE_OK);
flushed_then_inner!(fetch, xFetch, (offset: i64, amount: c_int, mapped: *mut *mut c_void), {
    // No mapping (SQLite's out-pointer, inside the method's `unsafe`): the caller reads instead.
    *mapped = ptr::null_mut();
    ffi::SQLITE_OK
});
flushed_then_inner!(unfetch, xUnfetch, (offset: i64, mapped: *mut c_void), ffi::SQLITE_OK);

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: SQLite's file, opened by `open`.
    unsafe {
        let _ = flush(file); // a WAL file has no shared memory; kept for completeness
        if let Some(barrier) = inner_methods(file).xShmBarrier {
            barrier(inner(file));
        }
    }
}
