from bdev.cli import main

main()
