//! A `<video>` bound to a `MediaStream`.

use web_sys::{HtmlMediaElement, MediaStream};
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
}

#[function_component(Video)]
pub fn video(props: &VideoProps) -> Html {
    let node = props.node.clone();
    {
        let node = node.clone();
        let stream = props.stream.clone();
        use_effect_with(stream, move |stream| {
            if let Some(el) = node.cast::<HtmlMediaElement>() {
                // Re-binding the same stream would restart playback; only bind changes.
                if el.src_object().as_ref() != stream.as_ref() {
                    el.set_src_object(stream.as_ref());
                    let _ = el.play();
                }
            }
        });
    }
    html! {
        <video ref={node} class={props.class.clone()} id={props.id.clone()} autoplay=true playsinline=true muted={props.muted}></video>
    }
}
