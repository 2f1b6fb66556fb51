//! WebSocket framing (RFC 6455) as far as the floor server needs it: final,
//! unmasked text frames out; whole, masked client frames in.

/// The text-frame opcode.
pub(crate) const TEXT: u8 = 0x1;
/// The close-frame opcode.
pub(crate) const CLOSE: u8 = 0x8;

/// Appends a final, unmasked text frame carrying `payload` to `out`.
pub(crate) fn put_text_frame(payload: &[u8], out: &mut Vec<u8>) {
    out.push(0x80 | TEXT);
    match payload.len() {
        len @ 0..=125 => out.push(len as u8),
        len @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

/// One frame a client sent, unmasked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ClientFrame {
    /// Its opcode ([`TEXT`], [`CLOSE`], ...).
    pub(crate) opcode: u8,
    /// Its payload.
    pub(crate) payload: Vec<u8>,
}

/// Client bytes the floor server does not accept: it closes the connection.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// Clients must mask their frames.
    Unmasked,
    /// A message split over several frames (the load generator never sends one).
    Fragmented,
    /// A payload over the limit.
    TooLarge,
}

/// Decodes the first frame of `input`: `Ok(None)` until it has fully arrived,
/// else the frame and how many bytes of `input` it took.
pub(crate) fn decode_client_frame(
    input: &[u8],
    max_payload: usize,
) -> Result<Option<(ClientFrame, usize)>, FrameError> {
    let [first, second, rest @ ..] = input else { return Ok(None) };
    if first & 0x80 == 0 {
        return Err(FrameError::Fragmented);
    }
    if second & 0x80 == 0 {
        return Err(FrameError::Unmasked);
    }
    let (len, rest) = match second & 0x7F {
        126 => {
            let Some((len, rest)) = rest.split_first_chunk::<2>() else { return Ok(None) };
            (u64::from(u16::from_be_bytes(*len)), rest)
        }
        127 => {
            let Some((len, rest)) = rest.split_first_chunk::<8>() else { return Ok(None) };
            (u64::from_be_bytes(*len), rest)
        }
        len => (u64::from(len), rest),
    };
    let len = usize::try_from(len).ok().filter(|len| *len <= max_payload).ok_or(FrameError::TooLarge)?;
    let Some((mask, rest)) = rest.split_first_chunk::<4>() else { return Ok(None) };
    let Some(masked) = rest.get(..len) else { return Ok(None) };
    let payload = masked.iter().zip(mask.iter().cycle()).map(|(byte, key)| byte ^ key).collect();
    let taken = input.len() - rest.len() + len;
    Ok(Some((ClientFrame { opcode: first & 0x0F, payload }, taken)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut frame = vec![0x80 | opcode];
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().zip(mask.iter().cycle()).map(|(byte, key)| byte ^ key));
        frame
    }

    #[test]
    fn text_frames_carry_their_length_in_the_shortest_form() {
        let mut out = Vec::new();
        put_text_frame(b"Hello", &mut out);
        assert_eq!(out, b"\x81\x05Hello");
        for (len, header) in
            [(125, vec![0x81, 125]), (126, vec![0x81, 126, 0, 126]), (65536, vec![0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0])]
        {
            let mut out = Vec::new();
            put_text_frame(&vec![b'x'; len], &mut out);
            assert_eq!(out[..header.len()], header[..], "payload of {len} bytes");
            assert_eq!(out.len(), header.len() + len);
        }
    }

    #[test]
    fn decodes_the_rfc_example_and_reports_what_it_took() {
        // RFC 6455 §5.7: a masked "Hello" from a client.
        let input = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58, 0xff];
        let (frame, taken) = decode_client_frame(&input, 1024).unwrap().unwrap();
        assert_eq!(frame, ClientFrame { opcode: TEXT, payload: b"Hello".to_vec() });
        assert_eq!(taken, input.len() - 1);
    }

    #[test]
    fn waits_for_the_whole_frame() {
        let frame = masked(TEXT, &[b'y'; 300]);
        for cut in [0, 1, 3, 7, frame.len() - 1] {
            assert_eq!(decode_client_frame(&frame[..cut], 1024), Ok(None), "cut at {cut}");
        }
        let (decoded, taken) = decode_client_frame(&frame, 1024).unwrap().unwrap();
        assert_eq!((decoded.payload.len(), taken), (300, frame.len()));
    }

    #[test]
    fn refuses_what_a_client_may_not_send() {
        assert_eq!(decode_client_frame(b"\x81\x05Hello", 1024), Err(FrameError::Unmasked));
        assert_eq!(decode_client_frame(&[0x01, 0x80, 0, 0, 0, 0], 1024), Err(FrameError::Fragmented));
        assert_eq!(decode_client_frame(&masked(TEXT, &[0; 200]), 100), Err(FrameError::TooLarge));
        assert_eq!(decode_client_frame(&masked(CLOSE, b""), 100).unwrap().unwrap().0.opcode, CLOSE);
    }
}
