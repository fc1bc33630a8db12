output "key_name" {
  description = "KMS_KEY_NAME of the functions: the crypto key's full resource name."
  value       = google_kms_crypto_key.user_data_keys.id
}
