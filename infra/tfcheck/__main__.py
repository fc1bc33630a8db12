from infra.tfcheck.check import main

raise SystemExit(main())
