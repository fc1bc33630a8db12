"""Local tooling: the emulator stack, seeding, benchmarks and load reports.

Never deployed (the functions' source zips hold functions/<name> and shared/ only). Nothing here
touches a store except through shared's adapters and use cases.
"""
