//! Page buffers, sized once.
//!
//! A page of 500 pods is ~8 MB of protobuf at ~17 KB of metadata a pod, and the API server sends
//! lists chunked, without a Content-Length (recordings 90-92). A buffer grown as the chunks
//! arrive doubles its way there: ~16 MB reserved and every byte copied once more. A new buffer is
//! therefore reserved at the largest page seen so far; that costs only address space, since an
//! allocation this large is a fresh mapping (`tune_allocator` in main.rs) whose pages the kernel
//! backs only when written.
//!
//! Keeping decoded pages' buffers for the next pages was measured too (bench/LIVE-RESULTS.md): it
//! saves the page faults, ~0.5 s of system CPU at 100k pods, but holds 16 MB more at the peak,
//! which the 150 MB target has no room for.

use std::sync::atomic::{AtomicUsize, Ordering};

/// A length the server announces but never sends must not reserve memory up front.
const MOST_RESERVED: usize = 64 << 20;

/// The longest page body received so far.
static LARGEST: AtomicUsize = AtomicUsize::new(0);

/// An empty buffer for a page of `length` bytes, or of unknown length.
pub fn take(length: Option<usize>) -> bytes::BytesMut {
    let wanted = length
        .unwrap_or_else(|| LARGEST.load(Ordering::Relaxed))
        .min(MOST_RESERVED);
    bytes::BytesMut::with_capacity(wanted)
}

/// Records a received page's length, for sizing the next ones.
pub fn seen(length: usize) {
    LARGEST.fetch_max(length, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_unknown_length_gets_room_for_the_largest_seen() {
        seen(3 << 20);
        seen(1 << 20);
        assert!(take(None).capacity() >= 3 << 20);
        assert!(
            take(Some(10)).capacity() < 1 << 20,
            "a known length is taken as is"
        );
        seen(1 << 40);
        assert!(take(None).capacity() <= MOST_RESERVED);
    }
}
