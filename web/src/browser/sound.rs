//! Ringtone and ringback, synthesised with WebAudio (no audio files to ship).

use std::cell::{Cell, RefCell};

use web_sys::{AudioContext, GainNode, OscillatorNode, OscillatorType};

/// Which tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Incoming call: two-tone pulses.
    Ring,
    /// Outgoing call: a slow single tone.
    Ringback,
}

struct Playing {
    ctx: AudioContext,
    _osc: OscillatorNode,
    _interval: gloo_timers::callback::Interval,
}

thread_local! {
    static PLAYING: RefCell<Option<(Tone, Playing)>> = const { RefCell::new(None) };
    /// The ring's loudness, 0 to 1 (a kiosk's setting; 1 elsewhere).
    static RING_VOLUME: Cell<f32> = const { Cell::new(1.0) };
}

/// Sets the ring's volume in percent, for the rings that start from now on.
pub fn set_ring_volume(percent: u8) {
    RING_VOLUME.set(f32::from(percent.min(100)) / 100.0);
}

/// Plays a tone until [`stop`] (replacing any other).
pub fn play(tone: Tone) {
    if PLAYING.with(|p| p.borrow().as_ref().is_some_and(|(t, _)| *t == tone)) {
        return;
    }
    stop();
    let Ok(ctx) = AudioContext::new() else { return };
    let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
        return;
    };
    osc.set_type(OscillatorType::Sine);
    osc.frequency()
        .set_value(if tone == Tone::Ring { 880.0 } else { 425.0 });
    gain.gain().set_value(0.0);
    let _ = osc.connect_with_audio_node(&gain);
    let _ = gain.connect_with_audio_node(&ctx.destination());
    let _ = osc.start();
    // Browsers may start the context suspended until a gesture; resume when allowed.
    let _ = ctx.resume();
    let peak = if tone == Tone::Ring {
        0.15 * RING_VOLUME.get()
    } else {
        0.15
    };
    let (on_ms, period_ms) = if tone == Tone::Ring {
        (1000.0, 3000)
    } else {
        (1500.0, 4500)
    };
    let pulse = move |gain: &GainNode, ctx: &AudioContext| {
        let t = ctx.current_time();
        let g = gain.gain();
        let _ = g.set_value_at_time(peak, t);
        let _ = g.set_value_at_time(0.0, t + on_ms / 1000.0);
    };
    pulse(&gain, &ctx);
    let (g2, c2) = (gain.clone(), ctx.clone());
    let interval = gloo_timers::callback::Interval::new(period_ms, move || pulse(&g2, &c2));
    PLAYING.with(|p| {
        *p.borrow_mut() = Some((
            tone,
            Playing {
                ctx,
                _osc: osc,
                _interval: interval,
            },
        ))
    });
}

/// Stops any tone.
pub fn stop() {
    if let Some((_, playing)) = PLAYING.with(|p| p.borrow_mut().take()) {
        let _ = playing.ctx.close();
    }
}
