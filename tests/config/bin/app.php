<?php /* a stand-in script for check_config */
