//! The app's entry point: mounts the Yew root.

fn main() {
    #[cfg(target_arch = "wasm32")]
    yew::Renderer::<sotto_web::app::App>::new().render();
}
