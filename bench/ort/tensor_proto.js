// Minimal onnx.TensorProto codec (the fields the runner needs), so inputs and outputs travel
// between bog and ONNX Runtime as the same serialized files the conformance suite uses.
'use strict';

// onnx.TensorProto.DataType -> [ort type name, TypedArray]
const DTYPES = {
  1: ['float32', Float32Array], 2: ['uint8', Uint8Array], 3: ['int8', Int8Array],
  4: ['uint16', Uint16Array], 5: ['int16', Int16Array], 6: ['int32', Int32Array],
  7: ['int64', BigInt64Array], 8: ['string', null], 9: ['bool', Uint8Array],
  10: ['float16', Uint16Array], 11: ['float64', Float64Array], 12: ['uint32', Uint32Array],
  13: ['uint64', BigUint64Array],
};
const BY_NAME = Object.fromEntries(Object.entries(DTYPES).map(([k, v]) => [v[0], Number(k)]));

function readVarint(buf, pos) {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
  }
  return [result, pos];
}

function decode(buf) {
  const t = { dims: [], dataType: 0, name: '', raw: null, floats: [], int32s: [], int64s: [],
              doubles: [], uint64s: [], strings: [] };
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (field === 1) t.dims.push(BigInt.asIntN(64, v));
      else if (field === 2) t.dataType = Number(v);
      else if (field === 5) t.int32s.push(Number(BigInt.asIntN(32, v)));
      else if (field === 7) t.int64s.push(BigInt.asIntN(64, v));
      else if (field === 11) t.uint64s.push(BigInt.asUintN(64, v));
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      const end = pos + Number(len);
      if (end > buf.length) throw new Error('truncated field');
      const body = buf.subarray(pos, end);
      if (field === 1 || field === 5 || field === 7 || field === 11) {  // packed varints
        let p = 0;
        while (p < body.length) {
          let v;
          [v, p] = readVarint(body, p);
          if (field === 1) t.dims.push(BigInt.asIntN(64, v));
          else if (field === 5) t.int32s.push(Number(BigInt.asIntN(32, v)));
          else if (field === 7) t.int64s.push(BigInt.asIntN(64, v));
          else t.uint64s.push(BigInt.asUintN(64, v));
        }
      } else if (field === 4) {
        const dv = new DataView(body.buffer, body.byteOffset, body.length);
        for (let i = 0; i + 4 <= body.length; i += 4) t.floats.push(dv.getFloat32(i, true));
      } else if (field === 10) {
        const dv = new DataView(body.buffer, body.byteOffset, body.length);
        for (let i = 0; i + 8 <= body.length; i += 8) t.doubles.push(dv.getFloat64(i, true));
      } else if (field === 6) t.strings.push(Buffer.from(body).toString('utf8'));
      else if (field === 8) t.name = Buffer.from(body).toString('utf8');
      else if (field === 9) t.raw = Buffer.from(body);
      pos = end;
    } else if (wire === 5) {
      if (field === 4) t.floats.push(buf.readFloatLE(pos));
      pos += 4;
    } else if (wire === 1) {
      if (field === 10) t.doubles.push(buf.readDoubleLE(pos));
      pos += 8;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return t;
}

// Serialized TensorProto -> { name, tensor: ort.Tensor }
function toOrt(ort, buf) {
  const t = decode(buf);
  const entry = DTYPES[t.dataType];
  if (!entry) throw new Error(`TensorProto data_type ${t.dataType} not supported by the runner`);
  const [typeName, Arr] = entry;
  const dims = t.dims.map(Number);
  const n = dims.reduce((a, b) => a * b, 1);
  let data;
  if (typeName === 'string') {
    data = t.strings;
  } else if (t.raw) {
    const copy = Buffer.from(t.raw);  // aligned copy
    data = new Arr(copy.buffer, copy.byteOffset, copy.length / Arr.BYTES_PER_ELEMENT);
    data = Arr.from(data);
  } else if (t.dataType === 1) data = Float32Array.from(t.floats);
  else if (t.dataType === 11) data = Float64Array.from(t.doubles);
  else if (t.dataType === 7) data = BigInt64Array.from(t.int64s);
  else if (t.dataType === 13) data = BigUint64Array.from(t.uint64s);
  else data = Arr.from(t.int32s);
  if (data.length !== n) throw new Error(`tensor '${t.name}' has ${data.length} values, shape needs ${n}`);
  if (typeName === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return { name: t.name, tensor: new ort.Tensor(typeName, data, dims) };
}

function writeVarint(out, v) {
  let x = BigInt.asUintN(64, BigInt(v));
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
}

// ort.Tensor -> serialized TensorProto (dims, data_type, name, raw_data)
function fromOrt(name, tensor) {
  const dataType = BY_NAME[tensor.type];
  if (!dataType) throw new Error(`output '${name}' has type ${tensor.type}, not supported by the runner`);
  const head = [];
  for (const d of tensor.dims) { head.push(0x08); writeVarint(head, d); }
  head.push(0x10); writeVarint(head, dataType);
  const parts = [Buffer.from(head)];
  const nameBytes = Buffer.from(name, 'utf8');
  const nh = [0x42]; writeVarint(nh, nameBytes.length);
  parts.push(Buffer.from(nh), nameBytes);
  if (tensor.type === 'string') {
    for (const s of tensor.data) {
      const b = Buffer.from(s, 'utf8');
      const h = [0x32]; writeVarint(h, b.length);
      parts.push(Buffer.from(h), b);
    }
  } else {
    const d = tensor.data;
    const raw = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    const h = [0x4a]; writeVarint(h, raw.length);
    parts.push(Buffer.from(h), raw);
  }
  return Buffer.concat(parts);
}

module.exports = { decode, toOrt, fromOrt };
