//! Runs one piece of work (a case, the benchmark) in a forked child.
//!
//! The child sends its result back as one JSON document on a pipe and
//! `_exit`s; the parent waits with a deadline and maps whatever happened —
//! a result, a returned error, a panic, a signal, a timeout — to
//! `Result<T, String>`, so nothing a workload does can take PID 1 down.
//! The mapping is the pure function [`interpret`]; [`run`] is the effectful
//! fork/pipe/poll/waitpid part.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::sys;

/// What the child writes to the pipe.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "value", rename_all = "kebab-case")]
pub enum ChildReport<T> {
    Ok(T),
    /// The work returned an error.
    Failed(String),
    /// The work panicked; message and location.
    Panicked(String),
}

/// How the child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Still running at the deadline; it was killed.
    TimedOut(Duration),
}

/// Maps what came back from a child to a result or a one-line error
/// message fit for an error record. `report` is `None` when the child sent
/// nothing, `Some(Err)` when what it sent does not parse.
pub fn interpret<T>(
    report: Option<Result<ChildReport<T>, String>>,
    exit: Exit,
) -> Result<T, String> {
    let died = match exit {
        Exit::TimedOut(d) => {
            return Err(format!(
                "timed out after {} s; the process was killed",
                d.as_secs()
            ))
        }
        Exit::Code(0) => None,
        Exit::Code(c) => Some(format!("exited with status {c}")),
        Exit::Signal(s) => Some(format!("was killed by {}", sys::signal_name(s))),
    };
    match (report, died) {
        (Some(Ok(ChildReport::Panicked(msg))), _) => Err(format!("panicked: {msg}")),
        (Some(Ok(ChildReport::Failed(msg))), _) => Err(format!("failed: {msg}")),
        (Some(Ok(ChildReport::Ok(v))), None) => Ok(v),
        (Some(Ok(ChildReport::Ok(_))), Some(d)) => {
            Err(format!("sent a result, but the process then {d}"))
        }
        (Some(Err(e)), d) => Err(format!(
            "sent an unreadable result ({e}){}",
            d.map(|d| format!("; the process {d}")).unwrap_or_default()
        )),
        (None, Some(d)) => Err(format!("process {d} without sending a result")),
        (None, None) => Err("process exited without sending a result".into()),
    }
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: valid array of two fds.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 just returned these fds; we own them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Forks, runs `work` in the child, and waits at most `timeout`.
///
/// The child gets its own process group (so a timeout kills whatever it
/// spawned too) and its own panic hook, which writes the panic to the pipe:
/// it must never inherit PID 1's hook, which powers the machine off.
pub fn run<T, F>(timeout: Duration, work: F) -> io::Result<Result<T, String>>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Result<T, String>,
{
    let (rd, wr) = pipe()?;
    // SAFETY: the runtime is single-threaded at this point (PID 1 and the
    // CLI never spawn threads), so the child may run arbitrary code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        drop(rd);
        child_main(wr, work);
    }
    drop(wr);
    let (report, exit) = wait_child(pid, rd, timeout);
    let report = report
        .map(|bytes| serde_json::from_slice::<ChildReport<T>>(&bytes).map_err(|e| e.to_string()));
    Ok(interpret(report, exit))
}

fn child_main<T: Serialize, F: FnOnce() -> Result<T, String>>(wr: OwnedFd, work: F) -> ! {
    // SAFETY: setpgid on ourselves.
    unsafe { libc::setpgid(0, 0) };
    let fd = std::os::fd::AsRawFd::as_raw_fd(&wr);
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.to_string().replace('\n', " ");
        let json = serde_json::to_vec(&ChildReport::<()>::Panicked(msg)).unwrap_or_default();
        write_fd(fd, &json);
        // SAFETY: leaving the child without running destructors or atexit
        // handlers that belong to the parent's state.
        unsafe { libc::_exit(101) };
    }));
    let report = match work() {
        Ok(v) => ChildReport::Ok(v),
        Err(e) => ChildReport::Failed(e),
    };
    let json = serde_json::to_vec(&report).unwrap_or_default();
    write_fd(fd, &json);
    drop(wr);
    // SAFETY: as above.
    unsafe { libc::_exit(0) }
}

fn write_fd(fd: RawFd, bytes: &[u8]) {
    // SAFETY: borrowing an fd we own for the duration of the write; the
    // ManuallyDrop keeps it from being closed here.
    let mut f = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
    let _ = f.write_all(bytes);
}

/// Reads the pipe to EOF and reaps the child, killing its process group at
/// the deadline.
fn wait_child(pid: libc::pid_t, rd: OwnedFd, timeout: Duration) -> (Option<Vec<u8>>, Exit) {
    let start = Instant::now();
    let deadline = start + timeout;
    let mut buf = Vec::new();
    let mut file = std::fs::File::from(rd);
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let mut timed_out = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            timed_out = true;
            break;
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms.max(1)) };
        if rc < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        if rc <= 0 {
            continue; // timeout is checked at the top of the loop
        }
        let mut chunk = [0u8; 8192];
        match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    // The pipe is closed; the child should be gone or about to be.
    let exit = loop {
        if timed_out {
            // SAFETY: signalling the child's process group and the child.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
            }
            let _ = waitpid(pid, 0);
            break Exit::TimedOut(timeout);
        }
        match waitpid(pid, libc::WNOHANG) {
            Some(e) => break e,
            None if Instant::now() >= deadline => timed_out = true,
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    // Whatever the case left behind in its group goes too.
    // SAFETY: signalling a process group that may no longer exist.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    let report = (!buf.is_empty()).then_some(buf);
    (report, exit)
}

fn waitpid(pid: libc::pid_t, flags: libc::c_int) -> Option<Exit> {
    let mut status = 0;
    loop {
        // SAFETY: valid status pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, flags) };
        if rc == pid {
            break;
        }
        if rc == 0 {
            return None;
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            // ECHILD: someone else reaped it; treat as a clean exit.
            return Some(Exit::Code(0));
        }
    }
    if libc::WIFSIGNALED(status) {
        Some(Exit::Signal(libc::WTERMSIG(status)))
    } else {
        Some(Exit::Code(libc::WEXITSTATUS(status)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        report: Option<Result<ChildReport<u32>, String>>,
        exit: Exit,
        want: Result<u32, &str>,
    ) {
        let got = interpret(report, exit);
        match (got, want) {
            (Ok(g), Ok(w)) => assert_eq!(g, w),
            (Err(g), Err(w)) => assert!(g.contains(w), "{g:?} does not contain {w:?}"),
            (g, w) => panic!("got {g:?}, want {w:?}"),
        }
    }

    #[test]
    fn outcome_mapping() {
        use ChildReport as R;
        check(Some(Ok(R::Ok(7))), Exit::Code(0), Ok(7));
        check(
            Some(Ok(R::Failed("no file".into()))),
            Exit::Code(0),
            Err("failed: no file"),
        );
        check(
            Some(Ok(R::Panicked("boom at x.rs:1".into()))),
            Exit::Code(101),
            Err("panicked: boom"),
        );
        check(
            None,
            Exit::Signal(libc::SIGSEGV),
            Err("killed by SIGSEGV without sending"),
        );
        check(None, Exit::Code(3), Err("exited with status 3"));
        check(
            Some(Ok(R::Ok(7))),
            Exit::Signal(libc::SIGBUS),
            Err("then was killed by SIGBUS"),
        );
        check(
            Some(Err("EOF".into())),
            Exit::Code(0),
            Err("unreadable result (EOF)"),
        );
        check(
            Some(Ok(R::Ok(7))),
            Exit::TimedOut(Duration::from_secs(60)),
            Err("timed out after 60 s"),
        );
        check(None, Exit::Code(0), Err("without sending a result"));
    }

    #[test]
    fn child_result_comes_back() {
        let r = run(Duration::from_secs(10), || Ok::<_, String>(vec![1u8, 2, 3])).unwrap();
        assert_eq!(r, Ok(vec![1, 2, 3]));
    }

    #[test]
    fn child_error_comes_back() {
        let r = run(Duration::from_secs(10), || Err::<u8, _>("nope".to_string())).unwrap();
        assert_eq!(r, Err("failed: nope".into()));
    }

    #[test]
    fn child_panic_is_an_error_not_a_crash() {
        let r = run(Duration::from_secs(10), || -> Result<u8, String> {
            panic!("injected");
        })
        .unwrap();
        let e = r.unwrap_err();
        assert!(e.starts_with("panicked:") && e.contains("injected"), "{e}");
    }

    #[test]
    fn child_signal_is_reported() {
        let r = run(Duration::from_secs(10), || -> Result<u8, String> {
            // std's SIGSEGV handler would swallow a raise(SIGSEGV); a
            // signal with no handler stands in for a crash.
            // SAFETY: test child kills itself.
            unsafe { libc::abort() }
        })
        .unwrap();
        assert_eq!(
            r,
            Err("process was killed by SIGABRT without sending a result".into())
        );
    }

    #[test]
    fn child_timeout_kills_it() {
        let t = Instant::now();
        let r = run(Duration::from_millis(300), || -> Result<u8, String> {
            sys::pause_forever();
        })
        .unwrap();
        assert!(r.unwrap_err().starts_with("timed out"));
        assert!(t.elapsed() < Duration::from_secs(5));
    }
}
