from covet._cli import main

raise SystemExit(main())
