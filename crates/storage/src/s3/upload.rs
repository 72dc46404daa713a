//! Writes: one PutObject up to the threshold, a multipart upload above it, with a
//! bounded number of parts in memory and in flight, and an abort on any failure.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::{ByteStream as AwsBody, SdkBody};
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use futures::stream::{FuturesUnordered, StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use super::errors::map_sdk_error;
use super::{S3Provider, sha256_from_b64};
use crate::{
    ByteStream, ErrorKind, HashKind, ObjectKey, ProviderError, PutOptions, PutResult, Result, check_sha256,
};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn check_size(key: &ObjectKey, declared: Option<u64>, actual: u64) -> Result<()> {
    match declared {
        Some(expected) if expected != actual => Err(ProviderError::new(
            ErrorKind::InvalidInput,
            "put",
            format!("expected {expected} bytes, received {actual}"),
        )
        .with_key(key)),
        _ => Ok(()),
    }
}

fn metadata(options: &PutOptions) -> Option<std::collections::HashMap<String, String>> {
    (!options.user_metadata.is_empty()).then(|| {
        options
            .user_metadata
            .iter()
            .map(|(k, v)| (k.to_lowercase(), super::metadata::encode_value(v)))
            .collect()
    })
}

/// Tags as the `x-amz-tagging` header wants them: a URL-encoded query string.
fn tagging(options: &PutOptions) -> Option<String> {
    (!options.tags.is_empty()).then(|| {
        options
            .tags
            .iter()
            .map(|(k, v)| format!("{}={}", super::errors::encode_query(k), super::errors::encode_query(v)))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// Writes `body` to `key`.
pub(crate) async fn put(
    p: &S3Provider,
    key: &ObjectKey,
    mut body: ByteStream,
    options: PutOptions,
) -> Result<PutResult> {
    if !options.tags.is_empty() && !p.config.tags {
        return Err(ProviderError::unsupported("put with tags (this server keeps no tags)").with_key(key));
    }
    let threshold = usize::try_from(p.config.multipart_threshold).unwrap_or(usize::MAX);
    // Chunks are kept as they came: a body that arrives in one piece is sent
    // without being copied.
    let mut first: Vec<Bytes> = Vec::new();
    let mut buffered = 0_usize;
    let mut ended = false;
    while buffered <= threshold {
        match body.try_next().await? {
            Some(chunk) => {
                buffered += chunk.len();
                first.push(chunk);
            }
            None => {
                ended = true;
                break;
            }
        }
    }
    if ended {
        put_single(p, key, first, buffered, &options).await
    } else {
        put_multipart(p, key, BytesMut::from(join(first, buffered)), body, &options).await
    }
}

/// A request body made of the chunks a download arrived in, with its exact size.
struct Chunks {
    left: std::collections::VecDeque<Bytes>,
    remaining: u64,
}

impl Chunks {
    fn new(chunks: &[Bytes]) -> Self {
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Self { left: chunks.iter().filter(|c| !c.is_empty()).cloned().collect(), remaining }
    }
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<http_body::Frame<Bytes>, Self::Error>>> {
        let next = self.left.pop_front();
        if let Some(chunk) = &next {
            self.remaining -= chunk.len() as u64;
        }
        std::task::Poll::Ready(next.map(|chunk| Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.left.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

/// The chunks as one buffer, copied only when there are several.
fn join(mut chunks: Vec<Bytes>, len: usize) -> Bytes {
    if chunks.len() == 1 {
        return chunks.pop().unwrap_or_default();
    }
    let mut whole = BytesMut::with_capacity(len);
    for chunk in &chunks {
        whole.extend_from_slice(chunk);
    }
    whole.freeze()
}

async fn put_single(
    p: &S3Provider,
    key: &ObjectKey,
    chunks: Vec<Bytes>,
    len: usize,
    options: &PutOptions,
) -> Result<PutResult> {
    let size = len as u64;
    check_size(key, options.size, size)?;
    let mut hasher = Sha256::new();
    for chunk in &chunks {
        hasher.update(chunk);
    }
    let digest = hasher.finalize();
    // A body that does not match its declared hash never reaches the bucket.
    check_sha256("put", key, options.sha256.as_deref(), &digest)?;
    let body = if p.config.send_checksums {
        // Sent as the chunks arrived, without gathering them into one buffer.
        let chunks = std::sync::Arc::new(chunks);
        AwsBody::new(SdkBody::retryable(move || SdkBody::from_body_1_x(Chunks::new(&chunks))))
    } else {
        // Payload signing hashes the body, which must then be one buffer.
        AwsBody::from(join(chunks, len))
    };
    let mut request = p
        .client
        .put_object()
        .bucket(&p.config.bucket)
        .key(p.full_key(key))
        .content_length(i64::try_from(size).unwrap_or(i64::MAX))
        .set_content_type(options.content_type.clone())
        .set_metadata(metadata(options))
        .set_tagging(tagging(options))
        .body(body);
    if p.config.send_checksums {
        request = request.checksum_sha256(b64(&digest));
    }
    if options.if_none_match {
        request = request.if_none_match("*");
    }
    let sent = if p.config.send_checksums {
        // The server checks the body against its SHA-256 header, so the signature
        // need not hash the body a second time.
        request.customize().disable_payload_signing().send().await
    } else {
        request.send().await
    };
    let out = sent.map_err(|e| conditional(map_sdk_error("put", Some(key), e), options))?;
    let mut hashes = BTreeMap::new();
    if let Some(sha) = sha256_from_b64(out.checksum_sha256()) {
        hashes.insert(HashKind::Sha256, sha);
    }
    Ok(PutResult {
        etag: out.e_tag().map(str::to_owned),
        version: out.version_id().map(str::to_owned),
        size,
        hashes,
        written_sha256: Some(hex::encode(digest)),
    })
}

/// A refused `If-None-Match: *` means the object exists.
fn conditional(err: ProviderError, options: &PutOptions) -> ProviderError {
    if options.if_none_match && matches!(err.kind(), ErrorKind::PreconditionFailed | ErrorKind::AlreadyExists)
    {
        ProviderError::new(ErrorKind::AlreadyExists, "put", "the object exists")
            .with_key(err.key().unwrap_or_default())
    } else {
        err
    }
}

/// Aborts the upload if dropped before it completes (a cancelled write).
struct AbortOnDrop {
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    upload_id: String,
    armed: bool,
}

impl AbortOnDrop {
    async fn abort_now(mut self) {
        self.armed = false;
        let result = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .send()
            .await;
        if result.is_err() {
            // The bucket keeps the parts until a lifecycle rule or a later clean-up removes them.
            eprintln!("ferry: could not abort multipart upload {} for {}", self.upload_id, self.key);
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let request = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(&self.upload_id);
            handle.spawn(async move {
                let _ = request.send().await;
            });
        }
    }
}

async fn put_multipart(
    p: &S3Provider,
    key: &ObjectKey,
    first: BytesMut,
    body: ByteStream,
    options: &PutOptions,
) -> Result<PutResult> {
    let full_key = p.full_key(key);
    let mut create = p
        .client
        .create_multipart_upload()
        .bucket(&p.config.bucket)
        .key(&full_key)
        .set_content_type(options.content_type.clone())
        .set_metadata(metadata(options))
        .set_tagging(tagging(options));
    if p.config.send_checksums {
        create = create.checksum_algorithm(ChecksumAlgorithm::Crc32C);
    }
    let created = create.send().await.map_err(|e| map_sdk_error("put", Some(key), e))?;
    let upload_id = created
        .upload_id()
        .ok_or_else(|| {
            ProviderError::new(ErrorKind::Unexpected, "put", "the service gave no upload id").with_key(key)
        })?
        .to_owned();
    let guard = AbortOnDrop {
        client: p.client.clone(),
        bucket: p.config.bucket.clone(),
        key: full_key.clone(),
        upload_id: upload_id.clone(),
        armed: true,
    };
    match upload_parts(p, key, &full_key, &upload_id, first, body, options).await {
        Ok(result) => {
            let mut guard = guard;
            guard.armed = false;
            Ok(result)
        }
        Err(e) => {
            guard.abort_now().await;
            Err(e)
        }
    }
}

async fn upload_parts(
    p: &S3Provider,
    key: &ObjectKey,
    full_key: &str,
    upload_id: &str,
    mut buffer: BytesMut,
    mut body: ByteStream,
    options: &PutOptions,
) -> Result<PutResult> {
    let part_size = usize::try_from(p.config.part_size).unwrap_or(usize::MAX);
    let mut whole = Sha256::new();
    let mut total = 0u64;
    let mut number = 0i32;
    let mut ended = false;
    let mut in_flight = FuturesUnordered::new();
    let mut parts = Vec::new();
    // Each part's CRC32C, in order: the composite checksum the service reports.
    let mut part_crcs: Vec<[u8; 4]> = Vec::new();
    loop {
        while buffer.len() < part_size && !ended {
            match body.try_next().await? {
                Some(chunk) => buffer.extend_from_slice(&chunk),
                None => ended = true,
            }
        }
        if buffer.is_empty() {
            break;
        }
        let part = buffer.split_to(buffer.len().min(part_size)).freeze();
        // Each byte is hashed once (SHA-256, the document's hash); the part's CRC32C
        // costs a few percent of that and is what the service checks the part by.
        whole.update(&part);
        let crc = crc32c(&part);
        part_crcs.push(crc);
        total += part.len() as u64;
        number += 1;
        while in_flight.len() >= p.config.part_concurrency {
            if let Some(done) = in_flight.next().await {
                parts.push(done?);
            }
        }
        in_flight.push(upload_part(p, key, full_key, upload_id, (number, part, crc)));
    }
    while let Some(done) = in_flight.next().await {
        parts.push(done?);
    }
    check_size(key, options.size, total)?;
    let whole = whole.finalize();
    // Checked before completing: a mismatch aborts, and nothing becomes visible.
    check_sha256("put", key, options.sha256.as_deref(), &whole)?;
    parts.sort_by_key(|part: &CompletedPart| part.part_number());
    let out = p
        .client
        .complete_multipart_upload()
        .bucket(&p.config.bucket)
        .key(full_key)
        .upload_id(upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .map_err(|e| map_sdk_error("put", Some(key), e))?;
    // The service checked every part against its CRC32C; when it also reports the
    // composite of those checksums as computed here, it holds the parts sent, in
    // order, each received intact, so the whole SHA-256 computed here is the one
    // of what it stores and no reading back is needed.
    let mut hashes = BTreeMap::new();
    if p.config.send_checksums && out.checksum_crc32_c() == Some(composite(&part_crcs).as_str()) {
        hashes.insert(HashKind::Sha256, hex::encode(whole));
    }
    Ok(PutResult {
        etag: out.e_tag().map(str::to_owned),
        version: out.version_id().map(str::to_owned),
        size: total,
        hashes,
        written_sha256: Some(hex::encode(whole)),
    })
}

/// CRC32C (Castagnoli), big-endian, as S3's checksum headers carry it.
fn crc32c(bytes: &[u8]) -> [u8; 4] {
    let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, bytes);
    u32::try_from(crc).unwrap_or(u32::MAX).to_be_bytes()
}

/// S3's composite checksum of a multipart object: the CRC32C of the parts'
/// CRC32C values, base64, then `-` and the number of parts.
fn composite(parts: &[[u8; 4]]) -> String {
    format!("{}-{}", b64(&crc32c(&parts.concat())), parts.len())
}

async fn upload_part(
    p: &S3Provider,
    key: &ObjectKey,
    full_key: &str,
    upload_id: &str,
    (number, data, crc): (i32, Bytes, [u8; 4]),
) -> Result<CompletedPart> {
    let crc = b64(&crc);
    let request = p
        .client
        .upload_part()
        .bucket(&p.config.bucket)
        .key(full_key)
        .upload_id(upload_id)
        .part_number(number)
        .content_length(i64::try_from(data.len()).unwrap_or(i64::MAX))
        .body(AwsBody::from(data));
    let out = if p.config.send_checksums {
        // Checked by the server against the part's CRC32C header instead.
        request.checksum_crc32_c(crc.clone()).customize().disable_payload_signing().send().await
    } else {
        request.send().await
    }
    .map_err(|e| map_sdk_error("put", Some(key), e))?;
    Ok(CompletedPart::builder()
        .set_e_tag(out.e_tag().map(str::to_owned))
        .part_number(number)
        .set_checksum_crc32_c(p.config.send_checksums.then_some(crc))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_checksums_are_crc32c_and_their_composite() {
        // The check value of CRC-32C (Castagnoli).
        assert_eq!(crc32c(b"123456789"), 0xE306_9283_u32.to_be_bytes());
        let parts = [crc32c(b"first part"), crc32c(b"second part")];
        let mut joined = Vec::new();
        joined.extend_from_slice(&parts[0]);
        joined.extend_from_slice(&parts[1]);
        assert_eq!(composite(&parts), format!("{}-2", b64(&crc32c(&joined))));
        assert_ne!(composite(&parts), composite(&[parts[1], parts[0]]), "the order of the parts counts");
    }
}
