//! Repairs a peer's SDP before it is applied, where one browser writes what another refuses.
//!
//! Firefox ESR 153 with `setCodecPreferences([VP8])` still writes `a=rtcp-fb` lines for the
//! payload types it dropped (121, 99, 123, 122 next to `m=video … 120`), and Chromium refuses
//! the whole offer: "Failed to parse SessionDescription. Failed to parse codecs correctly."
//! (measured; docs/DEVELOPING.md, "Browser findings"). A feedback line for a payload type its
//! media section does not list means nothing, so it is dropped. Only remote descriptions are
//! touched: our own are never munged.

/// `sdp` without `a=rtcp-fb` lines naming a payload type their `m=` line does not list.
#[must_use]
pub fn without_orphan_feedback(sdp: &str) -> String {
    let mut formats: Vec<&str> = Vec::new();
    let mut out = String::with_capacity(sdp.len());
    for line in sdp.split_inclusive('\n') {
        let text = line.trim_end_matches(['\r', '\n']);
        if let Some(m) = text.strip_prefix("m=") {
            // m=<media> <port> <proto> <fmt> …
            formats = m.split(' ').skip(3).collect();
        } else if let Some(fb) = text.strip_prefix("a=rtcp-fb:") {
            let payload = fb.split(' ').next().unwrap_or_default();
            if payload != "*" && !formats.contains(&payload) {
                continue;
            }
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_feedback_for_payload_types_the_section_does_not_list() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 109\r\na=rtcp-fb:109 transport-cc\r\n\
                   m=video 0 UDP/TLS/RTP/SAVPF 120\r\na=rtcp-fb:120 nack\r\na=rtcp-fb:121 nack\r\n\
                   a=rtcp-fb:* ccm fir\r\na=rtcp-fb:109 nack\r\na=rtpmap:120 VP8/90000\r\n";
        assert_eq!(
            without_orphan_feedback(sdp),
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 109\r\na=rtcp-fb:109 transport-cc\r\n\
             m=video 0 UDP/TLS/RTP/SAVPF 120\r\na=rtcp-fb:120 nack\r\n\
             a=rtcp-fb:* ccm fir\r\na=rtpmap:120 VP8/90000\r\n"
        );
    }

    #[test]
    fn leaves_a_clean_description_as_it_was() {
        let sdp = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:97 nack\r\n";
        assert_eq!(without_orphan_feedback(sdp), sdp);
    }
}
