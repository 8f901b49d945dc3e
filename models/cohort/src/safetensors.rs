//! A minimal reader and writer of the safetensors format (f32 tensors only).
//!
//! Own code rather than libtorch's so that the shipped weights can be embedded in the binary
//! (`include_bytes!`) and the bytes written are a pure function of the values (sorted names,
//! no metadata that changes between runs).

use std::collections::BTreeMap;

/// A named f32 tensor: shape and row-major data.
#[derive(Debug, Clone, PartialEq)]
pub struct F32Tensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

/// Serialises tensors (sorted by name) to safetensors bytes.
pub fn to_bytes(tensors: &BTreeMap<String, F32Tensor>) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut offset = 0usize;
    for (name, t) in tensors {
        let len = t.data.len() * 4;
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + len]}),
        );
        offset += len;
    }
    let mut h = serde_json::to_vec(&serde_json::Value::Object(header)).expect("json");
    while !h.len().is_multiple_of(8) {
        h.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + h.len() + offset);
    out.extend_from_slice(&(h.len() as u64).to_le_bytes());
    out.extend_from_slice(&h);
    for t in tensors.values() {
        for v in &t.data {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// Parses safetensors bytes (F32 tensors only).
pub fn from_bytes(bytes: &[u8]) -> Result<BTreeMap<String, F32Tensor>, String> {
    if bytes.len() < 8 {
        return Err("file shorter than a safetensors header".into());
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let body = bytes.get(8..8 + n).ok_or("header length past the end of the file")?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| format!("header: {e}"))?;
    let data = &bytes[8 + n..];
    let mut out = BTreeMap::new();
    for (name, v) in header {
        if name == "__metadata__" {
            continue;
        }
        let dtype = v["dtype"].as_str().unwrap_or("");
        if dtype != "F32" {
            return Err(format!("tensor {name}: dtype {dtype}, only F32 is supported"));
        }
        let shape: Vec<usize> = v["shape"]
            .as_array()
            .ok_or(format!("tensor {name}: no shape"))?
            .iter()
            .map(|x| x.as_u64().map(|x| x as usize).ok_or(format!("tensor {name}: bad shape")))
            .collect::<Result<_, _>>()?;
        let off = v["data_offsets"].as_array().ok_or(format!("tensor {name}: no offsets"))?;
        let (a, b) = (
            off.first().and_then(|x| x.as_u64()).unwrap_or(0) as usize,
            off.get(1).and_then(|x| x.as_u64()).unwrap_or(0) as usize,
        );
        let raw = data.get(a..b).ok_or(format!("tensor {name}: offsets past the end"))?;
        if raw.len() != 4 * shape.iter().product::<usize>() {
            return Err(format!("tensor {name}: {} bytes for shape {shape:?}", raw.len()));
        }
        let data =
            raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4"))).collect();
        out.insert(name, F32Tensor { shape, data });
    }
    Ok(out)
}
