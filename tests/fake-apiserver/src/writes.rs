//! Writes: create, update, patches (merge, strategic, JSON, server-side apply), delete.
use crate::resources::ResourceType;
use crate::server::{Ctx, ResourceReq, Shared};
use crate::status::ApiError;
use serde_json::Value;

pub fn synthesize_managed_fields(_v: &mut Value, _res: &ResourceType) {}
pub fn create(_: &Shared, _: &Ctx, _: &ResourceReq) -> Result<(u16, Vec<u8>), ApiError> {
    Err(ApiError::bad_request("todo"))
}
pub fn update(_: &Shared, _: &Ctx, _: &ResourceReq) -> Result<(u16, Vec<u8>), ApiError> {
    Err(ApiError::bad_request("todo"))
}
pub fn patch(_: &Shared, _: &Ctx, _: &ResourceReq) -> Result<(u16, Vec<u8>), ApiError> {
    Err(ApiError::bad_request("todo"))
}
pub fn delete(_: &Shared, _: &Ctx, _: &ResourceReq) -> Result<(u16, Vec<u8>), ApiError> {
    Err(ApiError::bad_request("todo"))
}
