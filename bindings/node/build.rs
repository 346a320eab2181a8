//! Links the addon the way Node expects to load it (unresolved N-API symbols
//! allowed, resolved by the `node` process).

fn main() {
    napi_build::setup();
}
