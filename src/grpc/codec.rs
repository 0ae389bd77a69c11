//! The protobuf codec of payorch's services: prost's, except that a request that does not
//! decode (wrong wire type, invalid UTF-8, truncated, random bytes) is the caller's error,
//! INVALID_ARGUMENT with ErrorInfo `MALFORMED_REQUEST`, not INTERNAL, which the API keeps for
//! payorch's own bugs. Used through `codec_path` in `build.rs`.

use std::marker::PhantomData;

use prost::Message;
use tonic::Code;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::ProstEncoder;

use crate::grpc::status::with_reason;

#[derive(Debug, Clone)]
pub struct RequestCodec<T, U> {
    _pd: PhantomData<(T, U)>,
}

impl<T, U> Default for RequestCodec<T, U> {
    fn default() -> Self {
        Self { _pd: PhantomData }
    }
}

impl<T, U> Codec for RequestCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = MessageDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(BufferSettings::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        MessageDecoder { _pd: PhantomData }
    }
}

#[derive(Debug, Clone)]
pub struct MessageDecoder<U> {
    _pd: PhantomData<U>,
}

impl<U: Message + Default> Decoder for MessageDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf).map(Some).map_err(|_| {
            // The decode error names byte positions and field tags, never values, but the
            // caller learns enough from the reason alone.
            with_reason(
                Code::InvalidArgument,
                "MALFORMED_REQUEST",
                "the request is not a valid protobuf encoding of this RPC's request message",
            )
        })
    }
}
