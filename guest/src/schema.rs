//! JSON Schemas of route models, as the JSON text the `routes` export carries.

use schemars::JsonSchema;

/// The JSON Schema of `T` as compact JSON text.
pub fn schema_json<T: JsonSchema>() -> String {
    schemars::schema_for!(T).as_value().to_string()
}
