# The key-encryption key of crypto-shredding (issue 23, docs/privacy.md): every user's data key
# (shared/adapters/data_keys.py) is stored wrapped by this Cloud KMS key; the functions that
# seal or open events (shared/sealing.py) may encrypt and decrypt with it, nothing more.
resource "google_kms_key_ring" "this" {
  project  = var.project_id
  name     = var.key_ring
  location = var.location
}

resource "google_kms_crypto_key" "user_data_keys" {
  name     = var.key_name
  key_ring = google_kms_key_ring.this.id
  purpose  = "ENCRYPT_DECRYPT"
  # A new primary version every 90 days; older versions still decrypt what they wrapped.
  rotation_period = "7776000s"
  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }
  labels = var.labels
  # Destroying this key would shred every user at once.
  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key_iam_member" "encrypter_decrypter" {
  for_each      = var.users
  crypto_key_id = google_kms_crypto_key.user_data_keys.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${each.value}"
}
