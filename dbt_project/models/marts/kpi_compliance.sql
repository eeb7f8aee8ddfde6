-- 经费、流动党员、年检、报送指标宽表：K17、K17f、K18、K18b、K18c_in、K18c_out、K18d、K18e、K19、K20
{{ pivot_indicators(['K17', 'K17f', 'K18', 'K18b', 'K18c_in', 'K18c_out', 'K18d', 'K18e', 'K19', 'K20']) }}
