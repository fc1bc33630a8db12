terraform {
  # A pure module: no provider, so `terraform console` can evaluate it offline (the wiring
  # tests do exactly that).
  required_version = ">= 1.6"
}
