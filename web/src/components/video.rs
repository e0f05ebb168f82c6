//! A `<video>` bound to a `MediaStream`.

use wasm_bindgen::JsCast as _;
use web_sys::MediaStream;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct VideoProps {
    pub stream: Option<MediaStream>,
    #[prop_or_default]
    pub muted: bool,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub node: NodeRef,
    /// The stream's track count: a media element given an empty stream does not show tracks
    /// added later (Chromium 156), so a change re-binds it.
    #[prop_or_default]
    pub tracks: u32,
}

#[function_component(Video)]
pub fn video(props: &VideoProps) -> Html {
    let node = props.node.clone();
    {
        let node = node.clone();
        let stream = props.stream.clone();
        use_effect_with((stream, props.tracks), move |(stream, _tracks)| {
            // Re-bind on a new stream or new tracks only: re-binding restarts playback.
            crate::browser::media::bind(
                node.get().and_then(|n| n.dyn_into().ok()),
                stream.as_ref(),
            );
        });
    }
    html! {
        <video ref={node} class={props.class.clone()} id={props.id.clone()} autoplay=true playsinline=true muted={props.muted}></video>
    }
}
