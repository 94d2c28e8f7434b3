from bcm_analytics.cli import main

main()
