-- A provider's document count and bytes are read from this index alone, one
-- provider at a time: looking a provider up no longer sums the whole catalog.

create index document_copy_provider_size on document_copy (provider_id, size);
